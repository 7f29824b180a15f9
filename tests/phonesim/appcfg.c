/*
 * Application config files: parameters are attributes on any element.
 * Across CONFIG_FILES and within a file the first value of a parameter
 * wins.  device.* values apply only under device.set="1" with their own
 * device.X.set="1"; a change to any of them reboots the phone.  The CA in
 * device.sec.TLS.customCaCert1 arrives with its newlines as &#10;, which the
 * XML parser turns back into newlines.  A parameter or value that is not
 * documented for the phone's version (params.tsv) is not used, with a line
 * in the app log, as the Polycom guides describe ("an error message
 * displays in the log file and parameter will not be used").
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "phonesim.h"

#define CA_PARAM	"device.sec.TLS.customCaCert1"

static void	app_cfg_walk(xmlNode *, struct sim_params *);
static int	app_cfg_install_ca(struct phone *, const char *,
		    struct sim_buf *);
static void	app_cfg_ignore(struct phone *, const char *, const char *);

/* A parameter the phone does not use: transcript, app log, and the list. */
static void
app_cfg_ignore(struct phone *ph, const char *name, const char *why)
{
	char	*entry;

	sim_transcript_line(&ph->ts, "DEVICE %s ignored: %s", name, why);
	phone_log(ph, "cfg", "Prm|Parameter %s not used: %s", name, why);
	sim_asprintf(&entry, "%s (%s)", name, why);
	if (ph->ignored.len == 0 || strstr(ph->ignored.data, entry) == NULL) {
		if (ph->ignored.len > 0)
			sim_buf_add(&ph->ignored, "; ", 2);
		sim_buf_add(&ph->ignored, entry, strlen(entry));
	}
	free(entry);
}

static void
app_cfg_walk(xmlNode *node, struct sim_params *ps)
{
	xmlNode	*n;
	xmlAttr	*a;
	xmlChar	*v;

	for (n = node; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (a = n->properties; a != NULL; a = a->next) {
			v = xmlNodeListGetString(n->doc, a->children, 1);
			sim_params_add_first(ps, (const char *)a->name,
			    v != NULL ? (const char *)v : "");
			xmlFree(v);
		}
		app_cfg_walk(n->children, ps);
	}
}

int
app_cfg_parse(const char *buf, size_t len, struct sim_params *ps,
    char **cause)
{
	xmlDoc	*doc;

	doc = xmlReadMemory(buf, (int)len, "app.cfg", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		sim_asprintf(cause, "not well-formed XML");
		return (-1);
	}
	app_cfg_walk(xmlDocGetRootElement(doc), ps);
	xmlFreeDoc(doc);
	return (0);
}

/* Returns 1 when the CA changed, 0 when it is the same, -1 when refused. */
static int
app_cfg_install_ca(struct phone *ph, const char *pem, struct sim_buf *why)
{
	BIO		*bio;
	X509		*x, *extra;
	unsigned char	*der = NULL;
	int		 len;
	char		*fp;

	bio = BIO_new_mem_buf(pem, -1);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	extra = x != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (x == NULL || extra != NULL) {
		X509_free(x);
		X509_free(extra);
		sim_transcript_line(&ph->ts, "DEVICE %s refused: %s", CA_PARAM,
		    x == NULL ? "not a PEM certificate" :
		    "more than one certificate");
		phone_log(ph, "cfg", "Prm|%s is not one PEM certificate",
		    CA_PARAM);
		return (-1);
	}
	if ((len = i2d_X509(x, &der)) <= 0)
		sim_fatalx("cannot encode a certificate");
	fp = sim_sha256_hex(der, len);
	OPENSSL_free(der);
	X509_free(x);
	if (ph->ca_sha256 != NULL && strcmp(ph->ca_sha256, fp) == 0) {
		free(fp);
		return (0);
	}
	free(ph->ca_pem);
	ph->ca_pem = sim_strdup(pem);
	free(ph->ca_sha256);
	ph->ca_sha256 = fp;
	sim_transcript_line(&ph->ts, "DEVICE %s sha256=%s", CA_PARAM, fp);
	phone_log(ph, "cfg", "Prm|%s installed sha256 %s", CA_PARAM, fp);
	if (why->len > 0)
		sim_buf_add(why, ",", 1);
	sim_buf_add(why, CA_PARAM, strlen(CA_PARAM));
	return (1);
}

/*
 * Applies the device.* parameters; returns how many changed and lists them
 * in why.
 */
int
app_cfg_apply(struct phone *ph, struct sim_params *ps, struct sim_buf *why)
{
	struct sim_param	*p;
	const char		*master, *set, *old;
	char			*setname, *esc, *ignore;
	size_t			 len;
	int			 changed = 0;

	master = sim_params_get(ps, "device.set");
	if (master == NULL || strcmp(master, "1") != 0)
		return (0);
	TAILQ_FOREACH(p, ps, entry) {
		len = strlen(p->name);
		if (strncmp(p->name, "device.", 7) != 0 ||
		    strcmp(p->name, "device.set") == 0 ||
		    (len > 4 && strcmp(p->name + len - 4, ".set") == 0))
			continue;
		sim_asprintf(&setname, "%s.set", p->name);
		set = sim_params_get(ps, setname);
		free(setname);
		if (set == NULL || strcmp(set, "1") != 0)
			continue;
		if ((ignore = sim_rules_check(p->name, p->value,
		    ph->version)) != NULL) {
			app_cfg_ignore(ph, p->name, ignore);
			free(ignore);
			continue;
		}
		if (strcmp(p->name, CA_PARAM) == 0) {
			if (app_cfg_install_ca(ph, p->value, why) == 1)
				changed++;
			continue;
		}
		old = sim_params_get(&ph->device, p->name);
		if (old != NULL && strcmp(old, p->value) == 0)
			continue;
		sim_params_set(&ph->device, p->name, p->value);
		esc = sim_escape(p->value, strlen(p->value));
		sim_transcript_line(&ph->ts, "DEVICE %s=\"%s\"", p->name, esc);
		phone_log(ph, "cfg", "Prm|Parameter %s requires reboot",
		    p->name);
		free(esc);
		if (why->len > 0)
			sim_buf_add(why, ",", 1);
		sim_buf_add(why, p->name, strlen(p->name));
		changed++;
	}
	return (changed);
}

/*
 * Whether provisioning TLS trusts device.sec.TLS.customCaCert1: the profile
 * that device.sec.TLS.profileSelection.provisioning names (PlatformProfile1
 * when never set) must list Platform1 in its caCertList (every CA when never
 * set: the factory defaults are not confirmed, docs/phonesim.md [L]).
 */
int
app_cfg_trusts_ca1(struct phone *ph)
{
	static const char	*with1[] = { "Platform1", "BuiltinAndPlatform1",
				    "All", "Platform1AndPlatform2", NULL };
	const char		*sel, *list;
	int			 i;

	sel = sim_params_get(&ph->device,
	    "device.sec.TLS.profileSelection.provisioning");
	if (sel != NULL && strcmp(sel, "PlatformProfile2") == 0)
		list = sim_params_get(&ph->device,
		    "device.sec.TLS.profile.caCertList2");
	else
		list = sim_params_get(&ph->device,
		    "device.sec.TLS.profile.caCertList1");
	if (list == NULL)
		return (1);
	for (i = 0; with1[i] != NULL; i++) {
		if (strcmp(list, with1[i]) == 0)
			return (1);
	}
	return (0);
}
