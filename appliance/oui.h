/*
 * Which devices are Polycom phones: the OUI list (appliance/data/
 * polycom-oui.txt compiled in, or an operator's file) and the vendor class.
 * The DHCP server answers only these; the listener records only these.
 */
#ifndef ZTP_OUI_H
#define ZTP_OUI_H

#include <stddef.h>
#include <stdint.h>

#define OUI_MAX		64

struct oui_list {
	uint8_t		oui[OUI_MAX][3];
	size_t		n;
};

/* Parse the text format of polycom-oui.txt; -1 with *cause. */
int	 oui_parse(const char *, size_t, const char *, struct oui_list *,
	    char **);
/* The list in force: the compiled-in one unless oui_load replaced it. */
const struct oui_list *oui_current(void);
/* Replace the list in force with FILE's (NULL: back to the built-in). */
int	 oui_load(const char *, char **);
/* Does this MAC (6 bytes, or 12 lower-case hex) start with a listed OUI? */
int	 oui_match(const struct oui_list *, const uint8_t *);
int	 oui_match_text(const struct oui_list *, const char *);
/* Does this vendor class (option 60, any bytes) contain "Polycom"? */
int	 oui_vendor_is_polycom(const uint8_t *, size_t);

#endif
