/*
 * What a phone is given, rendered per phone at request time: the master
 * config (<mac>.cfg, 000000000000.cfg) with a per-model override for every
 * model in the table, and the per-phone trust/re-point file its CONFIG_FILES
 * lead to.  Pure rendering: the decisions (may this phone have an image, has
 * it proved its version) are the caller's.
 */
#ifndef ZTP_PROVISION_H
#define ZTP_PROVISION_H

#include <stddef.h>

#include "ident.h"

struct model_table;
struct model;
struct library;

/* The per-phone file: "ztp-rescue-<mac>.cfg". */
#define PROVISION_PHONE_PREFIX	"ztp-rescue-"
#define PROVISION_PHONE_SUFFIX	".cfg"
/*
 * Offered where no image may be given: always answered 404.  A model of the
 * table gets its own, "ztp-rescue-no-image-VVX410.sip.ld": a TFTP phone
 * asking for it names its model (it sends no User-Agent, and the name
 * alone told nothing: a phone whose package the library lacks sat "seen"
 * with no reason).
 */
#define PROVISION_NO_IMAGE	"ztp-rescue-no-image.sip.ld"
#define PROVISION_NO_IMAGE_PREFIX "ztp-rescue-no-image-"
/*
 * For a model whose part number is not known: with APP_FILE_PATH "sip.ld"
 * a phone asks for "<its part>.sip.ld" (reference section 2, step 3 [H];
 * Poly community FAQ "What files does my phone download or upload and
 * why").  The combined "sip.ld" itself is never served.
 */
#define PROVISION_GENERIC_IMAGE	"sip.ld"

struct provision {
	const struct model_table	*models;
	const struct library		*library;
	const char			*template;	/* re-point template bytes */
	size_t				 template_len;
	const char			*template_name;	/* for errors */
	const char			*server_url;	/* hand-off URL, NULL for ZTP */
};

/*
 * Render a master config.  mac is the phone's ("" or NULL for
 * 000000000000.cfg: CONFIG_FILES then carries [PHONE_MAC_ADDRESS]).  When
 * offer is 0, the phone's model (token; every model when NULL) gets no image.
 */
char	*provision_master(const struct provision *, const char *, const char *,
	    int, size_t *);
/* "<part>.sip.ld" when the library holds the model's target image, else NULL. */
char	*provision_image_name(const struct provision *, const struct model *);

/*
 * The per-phone file.  ca_pem NULL renders the empty file (nothing to do
 * yet, note says why); else the template with the CA and the re-point.
 */
int	 provision_phone_file(const struct provision *, const char *,
	    const char *, const char *, char **, size_t *, char **);
/* 1 and the MAC when name is a per-phone file name. */
int	 provision_is_phone_file(const char *, char mac[IDENT_MAC_LEN + 1]);
/* "HTTPS" for "https://...", ...; NULL for an unknown scheme. */
const char *provision_server_type(const char *);
/*
 * A re-point URL the phones can use: a known scheme, a server name or
 * address, an optional port, nothing a URL cannot hold; -1 with *cause
 * saying what is wrong (repoint-url.c).
 */
int	 provision_check_server_url(const char *, char **);
/* Its host and port (the scheme's when none is given). */
void	 provision_server_url_host(const char *, char *, size_t, unsigned *);
/*
 * Check a template: it parses, its root element has attributes, and, when
 * params is not NULL, every attribute is a documented parameter with a
 * documented value (params.tsv) that every model's target version knows,
 * each device.X with its device.X.set="1" and device.set="1".  server_url
 * (NULL: ZTP) stands for {SERVER_URL} and gives {SERVER_TYPE}.  On -1,
 * *cause names every problem and why.
 */
struct param_table;
int	 provision_check_template(const char *, size_t, const char *,
	    const struct param_table *, const struct model_table *,
	    const char *, char **);

#endif
