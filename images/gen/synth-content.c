/*
 * What a synthetic package holds: the releases and part numbers (from the
 * seed's table, docs/reference), sip.ver, stock config templates, a notice
 * that the package is synthetic, and one split image per model.
 *
 * An image is a 512-byte text header and a payload of pseudo-random bytes
 * seeded from its part number and build, so the same arguments always give
 * the same bytes and an image never has to be held in memory.
 */
#include <endian.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "synth.h"

static uint64_t	synth_hash(const char *, const char *);
static uint64_t	synth_next(uint64_t *);
static uint64_t	synth_image_size(const struct synth_options *, uint64_t);
static void	synth_image_header(struct synth_file *,
		    const struct synth_release *);
static void	synth_add(struct synth_file **, size_t *, const char *,
		    const char *, const char *);
static char	*synth_strdup(const char *);

static const struct synth_model synth_408[] = {
	{ "SPIP321", "2345-12360-001" },
	{ "SPIP331", "2345-12365-001" },
	{ "SPIP335", "2345-12375-001" },
	{ "SPIP450", "2345-12450-001" },
	{ "SPIP550", "2345-12500-001" },
	{ "SPIP560", "2345-12560-001" },
	{ "SPIP650", "2345-12600-001" },
	{ "SPIP670", "2345-12670-001" },
	{ "SSIP5000", "3111-30900-001" },
	{ "SSIP6000", "3111-15600-001" },
	{ "SSIP7000", "3111-40000-001" },
	{ "VVX1500", "2345-17960-001" },
};
static const struct synth_model synth_417[] = {
	{ "VVX201", "3111-40450-001" },
	{ "VVX300", "3111-46135-002" },
	{ "VVX310", "3111-46161-001" },
	{ "VVX400", "3111-46157-002" },
	{ "VVX410", "3111-46162-001" },
	{ "VVX500", "3111-44500-001" },
	{ "VVX600", "3111-44600-001" },
};
static const struct synth_model synth_540[] = {
	{ "VVX101", "3111-40250-001" },
};
static const struct synth_model synth_541[] = {
	{ "VVX301", "3111-48300-001" },
	{ "VVX311", "3111-48350-001" },
	{ "VVX401", "3111-48400-001" },
	{ "VVX411", "3111-48450-001" },
	{ "VVX501", "3111-48500-001" },
	{ "VVX601", "3111-48600-001" },
};

#define NITEMS(a) (sizeof (a) / sizeof (a)[0])

/* Build numbers are made up: the real ones are not known to the project. */
const struct synth_release synth_releases[] = {
	{ "4.0.8", "4.0.8.0931", "4.0.8H", synth_408, NITEMS(synth_408) },
	{ "4.1.7", "4.1.7.5432", "4.1.7G", synth_417, NITEMS(synth_417) },
	{ "5.4.0", "5.4.0.12410", "5.4.0", synth_540, NITEMS(synth_540) },
	{ "5.4.1", "5.4.1.18370", "5.4.1", synth_541, NITEMS(synth_541) },
};
const size_t synth_nreleases = NITEMS(synth_releases);

static const char synth_notice[] =
    "SYNTHETIC PACKAGE - NOT POLYCOM SOFTWARE\n"
    "\n"
    "This package was written by ucs-synth, the generator of the ZTP Rescue\n"
    "project, for its tests and demonstrations.  It has the layout of a\n"
    "UC Software split release (sip.ver, <part>.sip.ld, stock configs) but\n"
    "its build number is made up and every .sip.ld file is a readable\n"
    "512-byte header followed by pseudo-random bytes.  No phone can run it.\n";

static const char synth_master[] =
    "<?xml version=\"1.0\" standalone=\"yes\"?>\n"
    "<!-- SYNTHETIC master configuration template (ucs-synth) -->\n"
    "<APPLICATION APP_FILE_PATH=\"sip.ld\" CONFIG_FILES=\"\" MISC_FILES=\"\""
    " LOG_FILE_DIRECTORY=\"\" OVERRIDES_DIRECTORY=\"\""
    " CONTACTS_DIRECTORY=\"\" LICENSE_DIRECTORY=\"\""
    " USER_PROFILES_DIRECTORY=\"\" CALL_LISTS_DIRECTORY=\"\">\n"
    "</APPLICATION>\n";

static const char *const synth_configs[][2] = {
	{ "Config/device.cfg", "device.set=\"0\"" },
	{ "Config/features.cfg", "feature.enhancedFeatureKeys.enabled=\"0\"" },
	{ "Config/sip-basic.cfg", "reg.1.address=\"\" voIpProt.server.1.address=\"\"" },
	{ "Config/site.cfg", "tcpIpApp.sntp.address=\"\" prov.polling.enabled=\"0\"" },
};

static char *
synth_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		err(1, "strdup");
	return (p);
}

/* FNV-1a over "part|build": the seed of an image's payload. */
static uint64_t
synth_hash(const char *a, const char *b)
{
	uint64_t	 h = 1469598103934665603ULL;
	const char	*s;

	for (s = a; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ '|') * 1099511628211ULL;
	for (s = b; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

/* splitmix64: fast, and the same on every machine. */
static uint64_t
synth_next(uint64_t *state)
{
	uint64_t	z;

	z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static uint64_t
synth_image_size(const struct synth_options *o, uint64_t h)
{
	switch (o->size) {
	case SYNTH_TINY:
		return (4096 + h % 512);
	case SYNTH_SMALL:
		return (200 * 1024 + h % (800 * 1024));
	case SYNTH_REALISTIC:
		return (40 * 1024 * 1024 + h % (20 * 1024 * 1024));
	case SYNTH_BYTES:
		break;
	}
	return (o->bytes);
}

void
synth_stream_start(struct synth_stream *st, const struct synth_file *f)
{
	st->file = f;
	st->offset = 0;
	st->state = f->seed;
	st->wpos = 8;
}

/* The next bytes of a file: header then payload for an image. */
size_t
synth_stream_read(struct synth_stream *st, char *buf, size_t len)
{
	const struct synth_file	*f = st->file;
	size_t			 n = 0;
	uint64_t		 v;

	if (len > f->size - st->offset)
		len = f->size - st->offset;
	if (f->model == NULL) {
		memcpy(buf, f->text + st->offset, len);
		st->offset += len;
		return (len);
	}
	while (n < len && st->offset < SYNTH_HEADER_SIZE)
		buf[n++] = f->header[st->offset++];
	/* Payload words are little-endian whatever the host. */
	while (n < len) {
		if (st->wpos == 8 && len - n >= 8) {
			v = htole64(synth_next(&st->state));
			memcpy(buf + n, &v, 8);
			n += 8;
			st->offset += 8;
			continue;
		}
		if (st->wpos == 8) {
			v = htole64(synth_next(&st->state));
			memcpy(st->word, &v, 8);
			st->wpos = 0;
		}
		buf[n++] = (char)st->word[st->wpos++];
		st->offset++;
	}
	return (n);
}

static void
synth_image_header(struct synth_file *f, const struct synth_release *r)
{
	struct synth_stream	 st;
	EVP_MD_CTX		*ctx;
	unsigned char		 md[32];
	char			 hex[65], *buf;
	size_t			 n, i;
	int			 len;

	/* Hash the payload first: the header names its SHA-256. */
	if ((buf = malloc(SYNTH_CHUNK)) == NULL)
		err(1, "malloc");
	memset(f->header, 0, sizeof f->header);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		errx(1, "EVP_DigestInit_ex failed");
	synth_stream_start(&st, f);
	st.offset = SYNTH_HEADER_SIZE;
	while ((n = synth_stream_read(&st, buf, SYNTH_CHUNK)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	free(buf);
	for (i = 0; i < 32; i++)
		snprintf(hex + i * 2, 3, "%02x", md[i]);
	len = snprintf(f->header, sizeof f->header,
	    "ZTP-RESCUE SYNTHETIC UC SOFTWARE IMAGE - NOT POLYCOM SOFTWARE\n"
	    "format: 1\n"
	    "part: %s\n"
	    "version: %s\n"
	    "models: %s\n"
	    "payload-size: %llu\n"
	    "payload-sha256: %s\n", f->model->part, r->build, f->model->token,
	    (unsigned long long)f->payload, hex);
	if (len < 0 || (size_t)len >= sizeof f->header)
		errx(1, "image header too long");
}

static void
synth_add(struct synth_file **files, size_t *n, const char *top,
    const char *name, const char *text)
{
	struct synth_file	*f;
	char			*full;

	if ((*files = reallocarray(*files, *n + 1, sizeof **files)) == NULL)
		err(1, "reallocarray");
	f = &(*files)[(*n)++];
	memset(f, 0, sizeof *f);
	if (top != NULL) {
		if (asprintf(&full, "%s/%s", top, name) == -1)
			err(1, "asprintf");
	} else
		full = synth_strdup(name);
	f->name = full;
	if (text == NULL) {
		f->is_dir = 1;
		return;
	}
	f->text = synth_strdup(text);
	f->textlen = f->size = strlen(text);
}

char *
synth_package_name(const struct synth_release *r)
{
	char	*name, *p;

	if (asprintf(&name, "Polycom_UC_Software_%s_release_sig_split",
	    r->name) == -1)
		err(1, "asprintf");
	for (p = name; *p != '\0'; p++) {
		if (*p == '.')
			*p = '_';
	}
	return (name);
}

/* The files of one release's package, in archive order. */
struct synth_file *
synth_package_files(const struct synth_release *r,
    const struct synth_options *o, size_t *count)
{
	struct synth_file	*files = NULL, *f;
	size_t			 n = 0, i;
	char			*text, name[64];

	if (o->toplevel != NULL)
		synth_add(&files, &n, NULL, o->toplevel, NULL);
	synth_add(&files, &n, o->toplevel, "000000000000.cfg", synth_master);
	for (i = 0; i < r->nmodels; i++) {
		snprintf(name, sizeof name, "%s.sip.ld", r->models[i].part);
		synth_add(&files, &n, o->toplevel, name, "");
		f = &files[n - 1];
		f->model = &r->models[i];
		f->seed = synth_hash(f->model->part, r->build);
		f->size = synth_image_size(o, f->seed);
		if (f->size < SYNTH_HEADER_SIZE)
			f->size = SYNTH_HEADER_SIZE;
		f->payload = f->size - SYNTH_HEADER_SIZE;
		synth_image_header(f, r);
	}
	synth_add(&files, &n, o->toplevel, "Config", NULL);
	for (i = 0; i < NITEMS(synth_configs); i++) {
		if (asprintf(&text, "<?xml version=\"1.0\" standalone=\"yes\"?>\n"
		    "<!-- SYNTHETIC %s template for UC Software %s (ucs-synth)"
		    " -->\n<polycomConfig %s/>\n", synth_configs[i][0] + 7,
		    r->build, synth_configs[i][1]) == -1)
			err(1, "asprintf");
		synth_add(&files, &n, o->toplevel, synth_configs[i][0], text);
		free(text);
	}
	synth_add(&files, &n, o->toplevel, "SYNTHETIC.txt", synth_notice);
	if (asprintf(&text, "%s%s", r->build, o->sipver_end) == -1)
		err(1, "asprintf");
	synth_add(&files, &n, o->toplevel, "sip.ver", text);
	free(text);
	*count = n;
	return (files);
}

void
synth_files_free(struct synth_file *files, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].text);
	}
	free(files);
}
