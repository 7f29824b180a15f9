/*
 * Identifying a phone from what it sends: the HTTP User-Agent, DHCP option 60,
 * and the names of the files it requests or uploads.  Pure functions over
 * untrusted bytes: they never read past the buffer and reject what they
 * cannot parse.
 */
#ifndef ZTP_IDENT_H
#define ZTP_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "version.h"

#define IDENT_MAC_LEN 12	/* lower-case hex, no separators */

enum ua_type {
	UA_TYPE_NONE = 0,	/* no "Type/": an old BootROM */
	UA_TYPE_APPLICATION,	/* the version is the UC Software the phone runs */
	UA_TYPE_UPDATER		/* the version is the Updater's, not UCS */
};

struct ident_ua {
	char			family[32];	/* "SoundPointIP", "VVX" */
	char			token[32];	/* "SPIP550" (underscore removed) */
	struct ucs_version	version;	/* as reported; see type */
	enum ua_type		type;
	char			mac[IDENT_MAC_LEN + 1]; /* from "(SN:...)", or "" */
};

/* "FileTransport PolycomSoundPointIP-SPIP_550-UA/4.0.15.1047 (SN:...) Type/Application" */
int	ident_parse_user_agent(const char *, struct ident_ua *, char **);

struct ident_opt60 {
	char			model[32];	/* sub-option 2, "SoundPointIP-SPIP_601", or ASCII form */
	char			token[32];	/* "SPIP601" */
	char			part[32];	/* "2345-11605-001" (revision ",2" dropped) */
	struct ucs_version	app_version;	/* sub-option 4 "SIP/<build>/<date>"; nfields 0 if absent */
	struct ucs_version	updater_version; /* sub-option 5 "BR/<build>/<date>" */
	int			binary;		/* RFC 3925 form (1) or ASCII (0) */
};

/* DHCP option 60 payload (without code and length bytes). */
int	ident_parse_option60(const uint8_t *, size_t, struct ident_opt60 *,
	    char **);

enum ident_file {
	IDENT_FILE_OTHER = 0,
	IDENT_FILE_MASTER_MAC,		/* <mac>.cfg */
	IDENT_FILE_MASTER_DEFAULT,	/* 000000000000.cfg */
	IDENT_FILE_IMAGE,		/* <part>.sip.ld or <part>.<part>.sip.ld */
	IDENT_FILE_COMBINED_IMAGE,	/* sip.ld */
	IDENT_FILE_BOOT_LOG,		/* <mac>-boot.log */
	IDENT_FILE_APP_LOG,		/* <mac>-app.log */
	IDENT_FILE_PHONE_CFG,		/* <mac>-phone.cfg */
	IDENT_FILE_WEB_CFG,		/* <mac>-web.cfg */
	IDENT_FILE_LICENSE,		/* <mac>-license.cfg, 000000000000-license.cfg */
	IDENT_FILE_DIRECTORY,		/* <mac>-directory.xml, 000000000000-directory.xml */
	IDENT_FILE_CALLS,		/* <mac>-calls.xml */
	IDENT_FILE_BOOTROM,		/* bootrom.ld, <part>.bootrom.ld */
	IDENT_FILE_NO_IMAGE		/* ztp-rescue-no-image-<token>.sip.ld
					   (a 5.x phone: <part>. before) */
};

struct ident_name {
	enum ident_file	kind;
	char		mac[IDENT_MAC_LEN + 1];	/* "" when the name has none (or all zeros) */
	char		part[32];		/* for IDENT_FILE_IMAGE (and a
						   split BootROM, and a 5.x
						   phone's NO_IMAGE) */
	char		token[32];		/* for IDENT_FILE_NO_IMAGE */
	const char	*base;			/* the name without any directory prefix */
};

/* Classify a requested or uploaded file name (may carry a directory prefix). */
void	ident_classify_name(const char *, struct ident_name *);
/* 1 when the kind is one a phone uploads (logs, overrides, directory, calls). */
int	ident_is_upload_kind(enum ident_file);
/* 1 when the len bytes are a split-image part number, "2345-12670-001". */
int	ident_is_part_number(const char *, size_t);

#endif
