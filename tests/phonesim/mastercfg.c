/*
 * The master config (<mac>.cfg or 000000000000.cfg): an APPLICATION element
 * whose attributes name the image and the configuration files, and
 * per-model overrides whose attribute names carry the model token
 * (APP_FILE_PATH_VVX410, CONFIG_FILES_VVX410), on any element.  An override
 * counts when present and not empty: the rule is one function,
 * master_cfg_override(), since no source confirms what an empty one means.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "phonesim.h"

static char	*master_cfg_attr(xmlNode *, const char *);
static char	*master_cfg_override(xmlNode *, const char *);
static char	*master_cfg_expand(struct phone *, const char *);

/* The first element in document order with attribute name, its value. */
static char *
master_cfg_attr(xmlNode *node, const char *name)
{
	xmlNode	*n;
	xmlChar	*v;
	char	*found;

	for (n = node; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((v = xmlGetProp(n, (const xmlChar *)name)) != NULL) {
			found = sim_strdup((const char *)v);
			xmlFree(v);
			return (found);
		}
		if ((found = master_cfg_attr(n->children, name)) != NULL)
			return (found);
	}
	return (NULL);
}

static char *
master_cfg_override(xmlNode *root, const char *name)
{
	char	*v;

	v = master_cfg_attr(root, name);
	if (v != NULL && *sim_trim(v) == '\0') {
		free(v);
		return (NULL);
	}
	return (v);
}

/* [PHONE_MAC_ADDRESS], [PHONE_PART_NUMBER], [PHONE_MODEL]. */
static char *
master_cfg_expand(struct phone *ph, const char *s)
{
	char	*a, *b;

	a = sim_replace(s, "[PHONE_MAC_ADDRESS]", ph->mac);
	b = sim_replace(a, "[PHONE_PART_NUMBER]", ph->part);
	free(a);
	a = sim_replace(b, "[PHONE_MODEL]", ph->model->token);
	free(b);
	return (a);
}

int
master_cfg_parse(struct phone *ph, const char *buf, size_t len,
    struct master_cfg *mc, char **cause)
{
	xmlDoc	*doc;
	xmlNode	*root;
	char	*name, *v;

	memset(mc, 0, sizeof *mc);
	doc = xmlReadMemory(buf, (int)len, "master.cfg", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		sim_asprintf(cause, "the master config is not well-formed XML");
		return (-1);
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL ||
	    xmlStrcmp(root->name, (const xmlChar *)"APPLICATION") != 0) {
		xmlFreeDoc(doc);
		sim_asprintf(cause, "the master config has no APPLICATION"
		    " element at its root");
		return (-1);
	}

	sim_asprintf(&name, "APP_FILE_PATH_%s", ph->model->token);
	v = master_cfg_override(root, name);
	free(name);
	if (v == NULL)
		v = master_cfg_attr(root, "APP_FILE_PATH");
	if (v != NULL) {
		mc->app_file_path = master_cfg_expand(ph, sim_trim(v));
		free(v);
	}

	sim_asprintf(&name, "CONFIG_FILES_%s", ph->model->token);
	v = master_cfg_override(root, name);
	free(name);
	if (v == NULL)
		v = master_cfg_attr(root, "CONFIG_FILES");
	if (v != NULL) {
		mc->config_files = master_cfg_expand(ph, v);
		free(v);
	}

	if ((v = master_cfg_attr(root, "LOG_FILE_DIRECTORY")) != NULL) {
		mc->log_dir = master_cfg_expand(ph, sim_trim(v));
		free(v);
	}
	if ((v = master_cfg_attr(root, "OVERRIDES_DIRECTORY")) != NULL) {
		mc->overrides_dir = master_cfg_expand(ph, sim_trim(v));
		free(v);
	}
	if ((v = master_cfg_attr(root, "CONTACTS_DIRECTORY")) != NULL) {
		mc->contacts_dir = master_cfg_expand(ph, sim_trim(v));
		free(v);
	}
	xmlFreeDoc(doc);
	return (0);
}

void
master_cfg_free(struct master_cfg *mc)
{
	free(mc->app_file_path);
	free(mc->config_files);
	free(mc->log_dir);
	free(mc->overrides_dir);
	free(mc->contacts_dir);
	memset(mc, 0, sizeof *mc);
}

/*
 * The file the phone requests for APP_FILE_PATH: "sip.ld" becomes
 * "<part>.sip.ld"; a 5.x phone prefixes its part number to whatever file
 * name APP_FILE_PATH gives, so "3111-44500-001.sip.ld" becomes
 * "3111-44500-001.3111-44500-001.sip.ld".  Directories are kept.
 */
char *
master_cfg_image_name(struct phone *ph, const char *path)
{
	const char	*slash, *file;
	char		*out;
	int		 dirlen;

	slash = strrchr(path, '/');
	file = slash != NULL ? slash + 1 : path;
	dirlen = (int)(file - path);
	if (*file == '\0')
		return (NULL);
	if (phone_is_5x(ph) || strcmp(file, "sip.ld") == 0) {
		sim_asprintf(&out, "%.*s%s.%s", dirlen, path, ph->part, file);
		return (out);
	}
	return (sim_strdup(path));
}
