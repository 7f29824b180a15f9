/*
 * Package manifests (manifest.json, jansson) and SHA-256 (OpenSSL EVP).
 * The manifest names every file of a package with its size, SHA-256 and
 * mtime, the build from sip.ver, the part numbers it has split images for,
 * and where it was imported from.  It is written atomically (temporary
 * file, fsync, rename, fsync of the folder).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "fileio.h"
#include "library-internal.h"
#include "models.h"
#include "xmalloc.h"

#define LIBRARY_HASH_CHUNK	(256 * 1024)
#define LIBRARY_MANIFEST_FORMAT	1

static int	library_manifest_files(json_t *, struct library_package *,
		    char **);
static const char *library_json_string(json_t *, const char *);

void
library_sha256_hex(const unsigned char *md, char *hex)
{
	static const char	digits[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < 32; i++) {
		hex[i * 2] = digits[md[i] >> 4];
		hex[i * 2 + 1] = digits[md[i] & 0xf];
	}
	hex[64] = '\0';
}

/*
 * A name recorded in a manifest: relative, '/' separated, no "." or ".."
 * component, printable ASCII; so joining it to the package folder stays
 * inside it.
 */
int
library_name_safe(const char *name)
{
	const char	*s, *c;
	size_t		 len;

	if (*name == '\0' || *name == '/' || strlen(name) > PATH_MAX / 4)
		return (0);
	for (s = name; *s != '\0'; s++) {
		if (*s < 0x20 || *s > 0x7e || *s == '\\')
			return (0);
	}
	for (s = name; *s != '\0'; s = *c == '\0' ? c : c + 1) {
		c = strchr(s, '/');
		if (c == NULL)
			c = s + strlen(s);
		len = (size_t)(c - s);
		if (len == 0 || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			return (0);
	}
	return (1);
}

void
library_package_clear(struct library_package *p)
{
	size_t	i;

	free(p->id);
	free(p->dir);
	free(p->sip_ver);
	free(p->source);
	for (i = 0; i < p->nfiles; i++)
		free(p->files[i].name);
	free(p->files);
	for (i = 0; i < p->nparts; i++)
		free(p->parts[i]);
	free(p->parts);
	free(p->damage);
	memset(p, 0, sizeof *p);
}

int
library_hash_file(const char *path, char *hex, uint64_t *size,
    const struct library_progress *progress, const char *what,
    uint64_t *done, uint64_t total, char **cause)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[32];
	char		*buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		xasprintf(cause, "cannot open %s: %s", path, strerror(errno));
		return (-1);
	}
	buf = xmalloc(LIBRARY_HASH_CHUNK);
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		xasprintf(cause, "SHA-256 is not available from OpenSSL");
		n = -1;
		goto out;
	}
	*size = 0;
	while ((n = read(fd, buf, LIBRARY_HASH_CHUNK)) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		*size += (uint64_t)n;
		if (done != NULL)
			*done += (uint64_t)n;
		if (progress != NULL && progress->fn != NULL && done != NULL)
			progress->fn(progress->arg, what, *done, total);
	}
	if (n == -1) {
		xasprintf(cause, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	library_sha256_hex(md, hex);
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return (n == -1 ? -1 : 0);
}

static const char *
library_json_string(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}

static int
library_manifest_files(json_t *files, struct library_package *p,
    char **cause)
{
	json_t			*f;
	struct library_file	*lf;
	const char		*name, *sha;
	size_t			 i;

	if (!json_is_array(files)) {
		xasprintf(cause, "manifest has no file list");
		return (-1);
	}
	p->files = xcalloc(json_array_size(files) + 1, sizeof *p->files);
	json_array_foreach(files, i, f) {
		name = library_json_string(f, "name");
		sha = library_json_string(f, "sha256");
		if (name == NULL || !library_name_safe(name) || sha == NULL ||
		    strlen(sha) != 64 ||
		    strspn(sha, "0123456789abcdef") != 64 ||
		    !json_is_integer(json_object_get(f, "size")) ||
		    !json_is_integer(json_object_get(f, "mtime")) ||
		    json_integer_value(json_object_get(f, "size")) < 0) {
			xasprintf(cause, "manifest entry %zu is malformed", i);
			return (-1);
		}
		lf = &p->files[p->nfiles++];
		lf->name = xstrdup(name);
		memcpy(lf->sha256, sha, 65);
		lf->size = (uint64_t)json_integer_value(json_object_get(f,
		    "size"));
		lf->mtime = json_integer_value(json_object_get(f, "mtime"));
	}
	return (0);
}

int
library_manifest_read(const char *packages, const char *id,
    struct library_package *p, char **cause)
{
	json_t		*root, *parts, *v;
	json_error_t	 jerr;
	const char	*s, *damage, *want;
	char		*path, *dir, *why = NULL, real[PATH_MAX];
	size_t		 i, plen;
	int		 rc = -1;

	xasprintf(&dir, "%s/%s", packages, id);
	p->id = xstrdup(id);
	p->dir = realpath(dir, real) != NULL ? xstrdup(real) : xstrdup(dir);
	free(dir);
	xasprintf(&path, "%s/%s", p->dir, LIBRARY_MANIFEST);
	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		xasprintf(cause, "%s cannot be read (%s): import the package "
		    "again", path, jerr.text);
		free(path);
		return (-1);
	}
	v = json_object_get(root, "format");
	if (!json_is_integer(v) ||
	    json_integer_value(v) != LIBRARY_MANIFEST_FORMAT) {
		xasprintf(cause, "%s is not a format %d manifest", path,
		    LIBRARY_MANIFEST_FORMAT);
		goto out;
	}
	/* A manifest without "kind" is UC Software (written before). */
	if ((s = library_json_string(root, "kind")) != NULL &&
	    strcmp(s, "bootrom") == 0)
		p->kind = LIBRARY_BOOTROM;
	/* The folder is the build; a BootROM's is bootrom-<build>. */
	want = id;
	if (p->kind == LIBRARY_BOOTROM) {
		plen = strlen(LIBRARY_BOOTROM_PREFIX);
		want = strncmp(id, LIBRARY_BOOTROM_PREFIX, plen) == 0 ?
		    id + plen : "";
	}
	if ((s = library_json_string(root, "sip_ver")) == NULL ||
	    strcmp(s, want) != 0) {
		xasprintf(cause, "%s does not describe build %s", path, id);
		goto out;
	}
	p->sip_ver = xstrdup(s);
	if (ucs_version_parse(s, &p->version, &why) == -1) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
		goto out;
	}
	s = library_json_string(root, "source");
	p->source = xstrdup(s != NULL ? s : "");
	v = json_object_get(root, "imported");
	p->imported = json_is_integer(v) ? json_integer_value(v) : 0;
	p->has_combined = json_is_true(json_object_get(root, "has_combined"));
	parts = json_object_get(root, "parts");
	if (!json_is_array(parts)) {
		xasprintf(cause, "%s has no part list", path);
		goto out;
	}
	p->parts = xcalloc(json_array_size(parts) + 1, sizeof *p->parts);
	json_array_foreach(parts, i, v) {
		if (!json_is_string(v))
			continue;
		p->parts[p->nparts++] = xstrdup(json_string_value(v));
	}
	if (library_manifest_files(json_object_get(root, "files"), p,
	    &why) == -1) {
		xasprintf(cause, "%s: %s", path, why);
		free(why);
		goto out;
	}
	if ((damage = library_json_string(root, "damage")) != NULL)
		p->damage = xstrdup(damage);
	rc = 0;
out:
	json_decref(root);
	free(path);
	return (rc);
}

int
library_manifest_write(const char *dir, const struct library_package *p,
    const struct model_table *models, char **cause)
{
	json_t			*root, *files, *parts, *mlist, *m;
	const struct model	*model;
	char			*path, *doc, text[UCS_VERSION_TEXT_MAX];
	size_t			 i;
	int			 rc;

	root = json_object();
	json_object_set_new(root, "format",
	    json_integer(LIBRARY_MANIFEST_FORMAT));
	json_object_set_new(root, "kind", json_string(
	    library_kind_name(p->kind)));
	json_object_set_new(root, "sip_ver", json_string(p->sip_ver));
	json_object_set_new(root, "release", json_string(
	    library_release_text(p, text, sizeof text)));
	json_object_set_new(root, "source", json_string(p->source));
	json_object_set_new(root, "imported", json_integer(p->imported));
	json_object_set_new(root, "has_combined",
	    json_boolean(p->has_combined));
	parts = json_array();
	mlist = json_array();
	for (i = 0; i < p->nparts; i++) {
		json_array_append_new(parts, json_string(p->parts[i]));
		model = models != NULL ? model_by_part(models, p->parts[i]) :
		    NULL;
		if (model == NULL)
			continue;
		m = json_object();
		json_object_set_new(m, "part", json_string(p->parts[i]));
		json_object_set_new(m, "token", model->token != NULL ?
		    json_string(model->token) : json_null());
		json_object_set_new(m, "target", json_string(
		    ucs_version_format_release(&model->target, text,
		    sizeof text)));
		json_array_append_new(mlist, m);
	}
	json_object_set_new(root, "parts", parts);
	json_object_set_new(root, "models", mlist);
	if (p->damage != NULL)
		json_object_set_new(root, "damage", json_string(p->damage));
	files = json_array();
	for (i = 0; i < p->nfiles; i++) {
		json_array_append_new(files, json_pack("{s:s,s:I,s:s,s:I}",
		    "name", p->files[i].name,
		    "size", (json_int_t)p->files[i].size,
		    "sha256", p->files[i].sha256,
		    "mtime", (json_int_t)p->files[i].mtime));
	}
	json_object_set_new(root, "files", files);

	xasprintf(&path, "%s/%s", dir, LIBRARY_MANIFEST);
	doc = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	doc = xrealloc(doc, strlen(doc) + 2);
	strcat(doc, "\n");
	rc = fileio_replace(path, doc, strlen(doc), 0644, 0, cause);
	free(doc);
	free(path);
	json_decref(root);
	return (rc);
}

/* 1 when both packages hold the same files with the same contents. */
int
library_files_equal(const struct library_package *a,
    const struct library_package *b, char **diff)
{
	size_t	i, j;

	for (i = 0; i < a->nfiles; i++) {
		for (j = 0; j < b->nfiles; j++) {
			if (strcmp(a->files[i].name, b->files[j].name) == 0)
				break;
		}
		if (j == b->nfiles) {
			xasprintf(diff, "%s is only in one of them",
			    a->files[i].name);
			return (0);
		}
		if (a->files[i].size != b->files[j].size ||
		    strcmp(a->files[i].sha256, b->files[j].sha256) != 0) {
			xasprintf(diff, "%s differs", a->files[i].name);
			return (0);
		}
	}
	if (a->nfiles != b->nfiles) {
		xasprintf(diff, "they hold %zu and %zu files", a->nfiles,
		    b->nfiles);
		return (0);
	}
	return (1);
}

int
library_files_extend(const struct library_package *a,
    const struct library_package *b, char **extra)
{
	size_t	i, j;

	if (a->nfiles <= b->nfiles)
		return (0);
	for (j = 0; j < b->nfiles; j++) {
		for (i = 0; i < a->nfiles; i++) {
			if (strcmp(a->files[i].name, b->files[j].name) == 0)
				break;
		}
		if (i == a->nfiles || a->files[i].size != b->files[j].size ||
		    strcmp(a->files[i].sha256, b->files[j].sha256) != 0)
			return (0);
	}
	for (i = 0; i < a->nfiles; i++) {
		for (j = 0; j < b->nfiles; j++) {
			if (strcmp(a->files[i].name, b->files[j].name) == 0)
				break;
		}
		if (j == b->nfiles) {
			xasprintf(extra, "%s", a->files[i].name);
			break;
		}
	}
	return (1);
}
