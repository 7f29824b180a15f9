/*
 * Rendering of master configs and per-phone trust/re-point files.  All XML
 * goes through libxml2's xmlTextWriter, so attribute values are escaped by
 * the library (& < > " and newlines as &#10;), never by hand.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "ident.h"
#include "library.h"
#include "log.h"
#include "models.h"
#include "params.h"
#include "provision.h"
#include "version.h"
#include "xmalloc.h"

static const char *provision_dirs[] = {
	"MISC_FILES", "LOG_FILE_DIRECTORY", "OVERRIDES_DIRECTORY",
	"CONTACTS_DIRECTORY", "LICENSE_DIRECTORY", "USER_PROFILES_DIRECTORY",
	"CALL_LISTS_DIRECTORY", NULL
};

static xmlTextWriterPtr	provision_writer(xmlBufferPtr *);
static void	provision_comment(xmlTextWriterPtr, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static char	*provision_finish(xmlTextWriterPtr, xmlBufferPtr, size_t *);
static int	 provision_seen_token(const struct model_table *, size_t);
static void	 provision_override(xmlTextWriterPtr, const char *,
		    const char *, const char *);
static int	 provision_unknown_token(const struct provision *,
		    const char *);
static char	*provision_substitute(const char *, const char *, const char *,
		    const char *);

static xmlTextWriterPtr
provision_writer(xmlBufferPtr *bufp)
{
	xmlTextWriterPtr	w;

	*bufp = xmlBufferCreate();
	w = xmlNewTextWriterMemory(*bufp, 0);
	if (w == NULL)
		fatalx("out of memory for an XML writer");
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST " ");
	xmlTextWriterStartDocument(w, "1.0", "UTF-8", "yes");
	return (w);
}

/*
 * An XML comment may not hold "--" nor end in "-" (XML 1.0, 2.5): libxml2
 * writes what it is given, and a strict parser (xmllint, perhaps a phone)
 * refuses the file.  Our own words ("--ca") and a URL may have them.
 */
static void
provision_comment(xmlTextWriterPtr w, const char *fmt, ...)
{
	va_list		 ap;
	char		*text, *safe, *o;
	const char	*c;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	safe = o = xmalloc(strlen(text) * 2 + 2);
	for (c = text; *c != '\0'; c++) {
		*o++ = *c;
		if (*c == '-' && (c[1] == '-' || c[1] == '\0'))
			*o++ = ' ';
	}
	*o = '\0';
	xmlTextWriterWriteComment(w, BAD_CAST safe);
	free(safe);
	free(text);
}

static char *
provision_finish(xmlTextWriterPtr w, xmlBufferPtr buf, size_t *len)
{
	char	*out;

	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	*len = (size_t)xmlBufferLength(buf);
	out = xmalloc(*len + 1);
	memcpy(out, xmlBufferContent(buf), *len);
	out[*len] = '\0';
	xmlBufferFree(buf);
	return (out);
}

/* A token written before (the table may list a phone twice). */
static int
provision_seen_token(const struct model_table *t, size_t i)
{
	size_t	k;

	for (k = 0; k < i; k++) {
		if (t->models[k].token != NULL &&
		    strcmp(t->models[k].token, t->models[i].token) == 0)
			return (1);
	}
	return (0);
}

/* APPLICATION_<token> with its APP_FILE_PATH and CONFIG_FILES overrides. */
static void
provision_override(xmlTextWriterPtr w, const char *token, const char *image,
    const char *files)
{
	char	*el, *attr;

	xasprintf(&el, "APPLICATION_%s", token);
	xmlTextWriterStartElement(w, BAD_CAST el);
	xasprintf(&attr, "APP_FILE_PATH_%s", token);
	xmlTextWriterWriteAttribute(w, BAD_CAST attr, BAD_CAST image);
	free(attr);
	xasprintf(&attr, "CONFIG_FILES_%s", token);
	xmlTextWriterWriteAttribute(w, BAD_CAST attr, BAD_CAST files);
	free(attr);
	xmlTextWriterEndElement(w);
	free(el);
}

/*
 * The phone's own token, when the table does not know it (a User-Agent's or
 * option 60's word alone): it gets the generic image so that it names its
 * part.  Only letters and digits make an attribute name.
 */
static int
provision_unknown_token(const struct provision *pv, const char *token)
{
	const char	*c;

	if (*token == '\0' || model_by_token(pv->models, token) != NULL)
		return (0);
	for (c = token; *c != '\0'; c++) {
		if (!isalnum((unsigned char)*c))
			return (0);
	}
	return (1);
}

char *
provision_image_name(const struct provision *pv, const struct model *m)
{
	const struct library_package	*pkg;
	char				*name;

	if (m->part == NULL || pv->library == NULL)
		return (NULL);
	pkg = library_find(pv->library, &m->target, m->part);
	if (pkg == NULL || pkg->damage != NULL)
		return (NULL);
	xasprintf(&name, "%s.sip.ld", m->part);
	return (name);
}

char *
provision_master(const struct provision *pv, const char *mac,
    const char *phone_model, int offer, size_t *len)
{
	xmlTextWriterPtr	 w;
	xmlBufferPtr		 buf;
	const struct model	*m;
	const char		**d;
	char			*files, *image;
	size_t			 i;
	int			 give;

	if (mac != NULL && *mac != '\0')
		xasprintf(&files, "%s%s%s", PROVISION_PHONE_PREFIX, mac,
		    PROVISION_PHONE_SUFFIX);
	else
		xasprintf(&files, "%s[PHONE_MAC_ADDRESS]%s",
		    PROVISION_PHONE_PREFIX, PROVISION_PHONE_SUFFIX);
	w = provision_writer(&buf);
	provision_comment(w, " ZTP Rescue master config for %s: each model is "
	    "offered only its own target image ", mac != NULL && *mac != '\0' ?
	    mac : "any phone");
	xmlTextWriterStartElement(w, BAD_CAST "APPLICATION");
	/* A phone of no model in the table is offered nothing by default. */
	xmlTextWriterWriteAttribute(w, BAD_CAST "APP_FILE_PATH",
	    BAD_CAST PROVISION_NO_IMAGE);
	xmlTextWriterWriteAttribute(w, BAD_CAST "CONFIG_FILES", BAD_CAST files);
	for (d = provision_dirs; *d != NULL; d++)
		xmlTextWriterWriteAttribute(w, BAD_CAST *d, BAD_CAST "");
	for (i = 0; i < pv->models->count; i++) {
		m = &pv->models->models[i];
		if (m->token == NULL || provision_seen_token(pv->models, i))
			continue;
		give = offer || (phone_model != NULL &&
		    strcmp(phone_model, m->token) != 0);
		image = give ? provision_image_name(pv, m) : NULL;
		/*
		 * No part number known for the model: the generic name, so
		 * the phone asks for <its part>.sip.ld and names its part
		 * itself (reference section 2, step 3 [H]).
		 */
		if (give && m->part == NULL)
			image = xstrdup(PROVISION_GENERIC_IMAGE);
		if (image == NULL)
			xasprintf(&image, "%s%s.sip.ld",
			    PROVISION_NO_IMAGE_PREFIX, m->token);
		provision_override(w, m->token, image, files);
		free(image);
	}
	if (phone_model != NULL && provision_unknown_token(pv, phone_model))
		provision_override(w, phone_model, offer ?
		    PROVISION_GENERIC_IMAGE : PROVISION_NO_IMAGE, files);
	xmlTextWriterEndElement(w);
	free(files);
	return (provision_finish(w, buf, len));
}

const char *
provision_server_type(const char *url)
{
	static const struct {
		const char	*scheme;
		const char	*type;
	} types[] = {
		{ "https://", "HTTPS" }, { "http://", "HTTP" },
		{ "ftps://", "FTPS" }, { "ftp://", "FTP" },
		{ "tftp://", "TFTP" }, { NULL, NULL }
	};
	int	i;

	for (i = 0; types[i].scheme != NULL; i++) {
		if (strncasecmp(url, types[i].scheme,
		    strlen(types[i].scheme)) == 0)
			return (types[i].type);
	}
	return (NULL);
}

/* Replace {CA_PEM}, {SERVER_URL} and {SERVER_TYPE} in one value. */
static char *
provision_substitute(const char *value, const char *ca_pem, const char *url,
    const char *type)
{
	static const char	*names[] = { "{CA_PEM}", "{SERVER_URL}",
				    "{SERVER_TYPE}" };
	const char		*with[3] = { ca_pem, url, type };
	char			*out, *at;
	size_t			 len, cap, n;
	int			 i, hit;

	cap = strlen(value) + 1;
	out = xmalloc(cap);
	len = 0;
	while (*value != '\0') {
		hit = 0;
		for (i = 0; i < 3; i++) {
			n = strlen(names[i]);
			if (strncmp(value, names[i], n) != 0)
				continue;
			at = (char *)(with[i] != NULL ? with[i] : "");
			cap += strlen(at);
			out = xrealloc(out, cap);
			memcpy(out + len, at, strlen(at));
			len += strlen(at);
			value += n;
			hit = 1;
			break;
		}
		if (!hit)
			out[len++] = *value++;
	}
	out[len] = '\0';
	return (out);
}

/* Adds one problem to the list in *out ("; " between them). */
static void
provision_problem(char **out, const char *why)
{
	char	*joined;

	if (*out == NULL) {
		*out = xstrdup(why);
		return;
	}
	xasprintf(&joined, "%s; %s", *out, why);
	free(*out);
	*out = joined;
}

/*
 * One parameter of a template against every model's target version: the
 * first problem for each distinct version, naming the models.
 */
static void
provision_check_param(const struct param_table *params,
    const struct model_table *models, const char *name, const char *value,
    char **problems)
{
	const struct model	*m;
	char			*why = NULL, *line, *who, *more;
	size_t			 i, k;
	int			 seen;

	if (param_check(params, name, value, NULL, &why) != 0) {
		provision_problem(problems, why);
		free(why);
		return;
	}
	for (i = 0; models != NULL && i < models->count; i++) {
		m = &models->models[i];
		for (seen = 0, k = 0; k < i; k++) {
			if (ucs_version_cmp_strict(&models->models[k].target,
			    &m->target) == 0)
				seen = 1;
		}
		if (seen || param_check(params, name, value, &m->target,
		    &why) == 0)
			continue;
		who = xstrdup(m->token != NULL ? m->token : m->name);
		for (k = i + 1; k < models->count; k++) {
			if (ucs_version_cmp_strict(&models->models[k].target,
			    &m->target) != 0)
				continue;
			xasprintf(&more, "%s, %s", who,
			    models->models[k].token != NULL ?
			    models->models[k].token : models->models[k].name);
			free(who);
			who = more;
		}
		xasprintf(&line, "%s (the target of %s)", why, who);
		provision_problem(problems, line);
		free(line);
		free(who);
		free(why);
		why = NULL;
	}
}

int
provision_check_template(const char *bytes, size_t len, const char *name,
    const struct param_table *params, const struct model_table *models,
    const char *server_url, char **cause)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root;
	xmlAttrPtr	 a;
	xmlChar		*v, *sw;
	const char	*type = NULL;
	char		*value, *problems = NULL, *setname, *why;
	int		 device = 0;

	doc = xmlReadMemory(bytes, (int)len, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		xasprintf(cause, "re-point template %s is not well-formed XML: "
		    "check it with xmllint", name);
		return (-1);
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || root->properties == NULL) {
		xasprintf(cause, "re-point template %s has no parameters (the "
		    "root element's attributes are the parameters)", name);
		xmlFreeDoc(doc);
		return (-1);
	}
	if (params == NULL) {
		xmlFreeDoc(doc);
		return (0);
	}
	if (server_url != NULL)
		type = provision_server_type(server_url);
	for (a = root->properties; a != NULL; a = a->next) {
		v = xmlNodeListGetString(doc, a->children, 1);
		if (v != NULL && strstr((const char *)v, "{CA_PEM}") != NULL) {
			/* Stands for a PEM certificate, checked by trust.c. */
			value = xstrdup(strcmp((const char *)v, "{CA_PEM}") ==
			    0 ? "-----BEGIN CERTIFICATE-----" :
			    (const char *)v);
		} else
			value = provision_substitute(v != NULL ?
			    (const char *)v : "", NULL, server_url, type);
		if (strncmp((const char *)a->name, "device.", 7) == 0)
			device = 1;
		if (strstr(value, "{CA_PEM}") != NULL) {
			xasprintf(&why, "%s mixes {CA_PEM} with other text: the "
			    "CA goes alone into a certificate parameter",
			    (const char *)a->name);
			provision_problem(&problems, why);
			free(why);
		} else
			provision_check_param(params, models,
			    (const char *)a->name, value, &problems);
		/* A device.X without device.X.set="1" is never applied. */
		if (strncmp((const char *)a->name, "device.", 7) == 0 &&
		    strcmp((const char *)a->name, "device.set") != 0 &&
		    (strlen((const char *)a->name) < 4 || strcmp((const char *)
		    a->name + strlen((const char *)a->name) - 4, ".set") != 0)) {
			xasprintf(&setname, "%s.set", (const char *)a->name);
			sw = xmlGetProp(root, BAD_CAST setname);
			if (sw == NULL || strcmp((const char *)sw, "1") != 0) {
				xasprintf(&why, "%s is sent without %s=\"1\": "
				    "the phone would not apply it",
				    (const char *)a->name, setname);
				provision_problem(&problems, why);
				free(why);
			}
			xmlFree(sw);
			free(setname);
		}
		free(value);
		xmlFree(v);
	}
	if (device) {
		sw = xmlGetProp(root, BAD_CAST "device.set");
		if (sw == NULL || strcmp((const char *)sw, "1") != 0)
			provision_problem(&problems, "device.* parameters are "
			    "sent without device.set=\"1\": the phone would "
			    "apply none of them");
		xmlFree(sw);
	}
	xmlFreeDoc(doc);
	if (problems != NULL) {
		xasprintf(cause, "re-point template %s: %s", name, problems);
		free(problems);
		return (-1);
	}
	return (0);
}

int
provision_phone_file(const struct provision *pv, const char *mac,
    const char *ca_pem, const char *note, char **out, size_t *len,
    char **cause)
{
	xmlTextWriterPtr	 w;
	xmlBufferPtr		 buf;
	xmlDocPtr		 doc;
	xmlNodePtr		 root;
	xmlAttrPtr		 a;
	xmlChar			*v;
	const char		*type = NULL;
	char			*value;

	if (ca_pem == NULL) {
		w = provision_writer(&buf);
		provision_comment(w, " ZTP Rescue: nothing for %s yet: %s ", mac,
		    note != NULL ? note : "");
		xmlTextWriterStartElement(w, BAD_CAST "polycomConfig");
		xmlTextWriterEndElement(w);
		*out = provision_finish(w, buf, len);
		return (0);
	}
	if (pv->server_url != NULL &&
	    (type = provision_server_type(pv->server_url)) == NULL) {
		xasprintf(cause, "re-point URL %s has no scheme the phones know "
		    "(use http://, https://, ftp://, ftps:// or tftp://)",
		    pv->server_url);
		return (-1);
	}
	doc = xmlReadMemory(pv->template, (int)pv->template_len,
	    pv->template_name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		if (doc != NULL)
			xmlFreeDoc(doc);
		xasprintf(cause, "re-point template %s is not well-formed XML",
		    pv->template_name);
		return (-1);
	}
	w = provision_writer(&buf);
	provision_comment(w, " ZTP Rescue: SHA-2 trust and re-point (%s) for "
	    "%s ", pv->server_url != NULL ? pv->server_url : "ztp", mac);
	xmlTextWriterStartElement(w, root->name);
	for (a = root->properties; a != NULL; a = a->next) {
		v = xmlNodeListGetString(doc, a->children, 1);
		value = provision_substitute(v != NULL ? (const char *)v : "",
		    ca_pem, pv->server_url, type);
		xmlTextWriterWriteAttribute(w, a->name, BAD_CAST value);
		free(value);
		xmlFree(v);
	}
	xmlTextWriterEndElement(w);
	xmlFreeDoc(doc);
	*out = provision_finish(w, buf, len);
	return (0);
}

int
provision_is_phone_file(const char *name, char mac[IDENT_MAC_LEN + 1])
{
	size_t	plen = strlen(PROVISION_PHONE_PREFIX);
	size_t	slen = strlen(PROVISION_PHONE_SUFFIX);
	size_t	i;

	if (strncmp(name, PROVISION_PHONE_PREFIX, plen) != 0)
		return (0);
	name += plen;
	if (strlen(name) != IDENT_MAC_LEN + slen ||
	    strcmp(name + IDENT_MAC_LEN, PROVISION_PHONE_SUFFIX) != 0)
		return (0);
	for (i = 0; i < IDENT_MAC_LEN; i++) {
		if (!isxdigit((unsigned char)name[i]) ||
		    isupper((unsigned char)name[i]))
			return (0);
	}
	memcpy(mac, name, IDENT_MAC_LEN);
	mac[IDENT_MAC_LEN] = '\0';
	return (1);
}
