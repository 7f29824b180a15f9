/*
 * The image check: request the split image, read its 512-byte header, and
 * abandon the transfer (no error packet: the write callback stops curl,
 * which closes the socket) when the header names the version the phone
 * runs.  A different version, older or newer, is downloaded whole, its
 * payload checked against payload-sha256, "flashed", and the phone reboots.
 * Power loss part way cuts the transfer and keeps the old version.
 *
 * SIP 2.x/3.x phones boot through a separate BootROM (reference sec. 8):
 * bootrom.ld carries it (part "bootrom" in the synthetic header), and a
 * BootROM older than 4.x refuses a UC Software 4.x application ("BootROM
 * 2.5.x cannot take 4.1.x directly" [H]; BootROM 4.x before UCS 4.x [M]).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "phonesim.h"

#define IMAGE_MAGIC \
	"ZTP-RESCUE SYNTHETIC UC SOFTWARE IMAGE - NOT POLYCOM SOFTWARE"

struct image_sink {
	struct phone		*ph;
	struct sim_fetch	*f;
	char			 header[SIM_HEADER_SIZE];
	size_t			 hlen;
	int			 downloading;
	char			*version;
	char			*part;
	char			*sha256;
	long long		 size;
	long long		 payload;
	long long		 total;
	EVP_MD_CTX		*md;
	enum image_result	 result;
	int			 decided;
	int			 bootrom;	/* bootrom.ld, not the application */
};

static int	image_sink(void *, const char *, size_t);
static int	image_parse_header(struct image_sink *, char **);
static void	image_decide(struct image_sink *, enum image_result,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

static void
image_decide(struct image_sink *s, enum image_result r, const char *fmt, ...)
{
	va_list	ap;

	s->result = r;
	s->decided = 1;
	free(s->f->outcome);
	va_start(ap, fmt);
	if (vasprintf(&s->f->outcome, fmt, ap) == -1)
		sim_fatalx("out of memory formatting a string");
	va_end(ap);
}

static int
image_parse_header(struct image_sink *s, char **cause)
{
	char		*text, *line, *next, *colon, *key, *value, *end;
	unsigned long	 f[4];
	int		 first = 1, nf;

	text = sim_strndup(s->header, SIM_HEADER_SIZE);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (first) {
			first = 0;
			if (strcmp(line, IMAGE_MAGIC) != 0) {
				free(text);
				sim_asprintf(cause, "not an image header");
				return (-1);
			}
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		key = sim_trim(line);
		value = sim_trim(colon + 1);
		if (strcmp(key, "version") == 0) {
			free(s->version);
			s->version = sim_strdup(value);
		} else if (strcmp(key, "part") == 0) {
			free(s->part);
			s->part = sim_strdup(value);
		} else if (strcmp(key, "payload-sha256") == 0) {
			free(s->sha256);
			s->sha256 = sim_strdup(value);
		}
		else if (strcmp(key, "payload-size") == 0) {
			s->size = strtoll(value, &end, 10);
			if (*value == '\0' || *end != '\0' || s->size < 0)
				s->size = -1;
		}
	}
	free(text);
	if (s->version == NULL || s->part == NULL || s->sha256 == NULL ||
	    s->size < 0) {
		sim_asprintf(cause, "image header lacks version, part, "
		    "payload-size or payload-sha256");
		return (-1);
	}
	/* The version becomes the phone's: it must be one (four fields). */
	if (sim_version_parse(s->version, f, &nf) != 0 || nf != 4) {
		sim_asprintf(cause, "image header version is not a four-field "
		    "version");
		return (-1);
	}
	return (0);
}

static int
image_sink(void *arg, const char *buf, size_t len)
{
	struct image_sink	*s = arg;
	struct phone		*ph = s->ph;
	long long		 at = ph->faults.power_loss_at;
	size_t			 take;
	char			*cause, *esc;

	/* curl may hand over more data after the sink stopped it. */
	if (s->decided)
		return (-1);
	if (at >= 0 && !ph->faults.power_loss_done &&
	    s->total + (long long)len >= at) {
		ph->faults.power_loss_done = 1;
		image_decide(s, IMAGE_CUT, "cut after %lld bytes: power loss",
		    at);
		return (-1);
	}
	s->total += len;
	if (!s->downloading) {
		take = SIM_HEADER_SIZE - s->hlen;
		if (take > len)
			take = len;
		memcpy(s->header + s->hlen, buf, take);
		s->hlen += take;
		buf += take;
		len -= take;
		if (s->hlen < SIM_HEADER_SIZE)
			return (0);
		if (image_parse_header(s, &cause) != 0) {
			image_decide(s, IMAGE_BAD, "abandoned after %d bytes: %s",
			    SIM_HEADER_SIZE, cause);
			free(cause);
			return (-1);
		}
		if (sim_version_cmp(s->version, s->bootrom ? ph->updater :
		    ph->version, 4) == 0) {
			image_decide(s, IMAGE_CURRENT,
			    "abandoned after %d bytes", SIM_HEADER_SIZE);
			return (-1);
		}
		if (!s->bootrom && phone_is_legacy(ph) &&
		    sim_version_major(s->version) >= 4 &&
		    sim_version_major(ph->updater) < 4) {
			image_decide(s, IMAGE_BAD, "abandoned after %d bytes: "
			    "BootROM %s cannot load UC Software %s",
			    SIM_HEADER_SIZE, ph->updater, s->version);
			return (-1);
		}
		/* A combined bootrom.ld says "bootrom"; a split one its part. */
		if (strcmp(s->part, ph->part) != 0 && (!s->bootrom ||
		    strcmp(s->part, "bootrom") != 0)) {
			esc = sim_escape(s->part, strlen(s->part));
			image_decide(s, IMAGE_BAD, "abandoned after %d bytes: "
			    "image is for part %s", SIM_HEADER_SIZE, esc);
			free(esc);
			return (-1);
		}
		s->downloading = 1;
		if ((s->md = EVP_MD_CTX_new()) == NULL ||
		    !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL))
			sim_fatalx("SHA-256 is not available from OpenSSL");
	}
	if (s->payload + (long long)len > s->size) {
		image_decide(s, IMAGE_BAD, "abandoned: longer than its "
		    "payload-size %lld", s->size);
		return (-1);
	}
	EVP_DigestUpdate(s->md, buf, len);
	s->payload += len;
	return (0);
}

static enum image_result image_fetch(struct phone *, const char *,
		    const char *, int);

/* Requests the image named by APP_FILE_PATH from server; see above. */
enum image_result
image_check(struct phone *ph, const char *server, const char *name)
{
	return (image_fetch(ph, server, name, 0));
}

enum image_result
image_check_bootrom(struct phone *ph, const char *server)
{
	return (image_fetch(ph, server, "bootrom.ld", 1));
}

static enum image_result
image_fetch(struct phone *ph, const char *server, const char *name,
    int bootrom)
{
	struct sim_fetch	 f;
	struct image_sink	 s;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;
	char			 hex[EVP_MAX_MD_SIZE * 2 + 1], *esc;
	enum image_result	 r;

	memset(&f, 0, sizeof f);
	memset(&s, 0, sizeof s);
	s.ph = ph;
	s.f = &f;
	s.size = -1;
	s.bootrom = bootrom;
	f.method = SIM_GET;
	f.name = name;
	f.sink = image_sink;
	f.sink_arg = &s;
	esc = sim_escape(name, strlen(name));
	if (phone_fetch(ph, server, &f) != 0 && !s.decided) {
		r = IMAGE_LOST;
		if (!bootrom) {
			free(ph->why_no_image);
			sim_asprintf(&ph->why_no_image, "image %s could not "
			    "be fetched", esc);
		}
	} else if (s.decided)
		r = s.result;
	else if (!f.found) {
		r = IMAGE_MISSING;
		if (!bootrom) {
			free(ph->why_no_image);
			sim_asprintf(&ph->why_no_image, "server has no image "
			    "%s", esc);
		}
	} else if (!s.downloading || s.payload != s.size) {
		r = IMAGE_BAD;
		sim_transcript_line(&ph->ts, "IMAGE %s rejected: short image "
		    "(%lld bytes)", esc, s.total);
	} else {
		EVP_DigestFinal_ex(s.md, md, &mdlen);
		for (i = 0; i < mdlen; i++)
			sprintf(hex + i * 2, "%02x", md[i]);
		if (strcasecmp(hex, s.sha256) != 0) {
			r = IMAGE_BAD;
			sim_transcript_line(&ph->ts, "IMAGE %s rejected: "
			    "payload-sha256 mismatch", esc);
		} else if (ph->faults.flash_no_take) {
			/* Written, and the phone comes back as it was. */
			r = IMAGE_FLASHED;
			sim_transcript_line(&ph->ts, "FLASH %s%s (%lld bytes, "
			    "sha256 ok) did not take (fault flash-no-take): "
			    "still %s", bootrom ? "BootROM " : "", s.version,
			    s.payload, bootrom ? ph->updater : ph->version);
			phone_log(ph, "so", "Updater: image %s written but did "
			    "not take", s.version);
		} else if (bootrom) {
			r = IMAGE_FLASHED;
			sim_transcript_line(&ph->ts, "FLASH BootROM %s (%lld "
			    "bytes, sha256 ok)", s.version, s.payload);
			phone_log(ph, "so", "BootROM: %s verified and written "
			    "to flash", s.version);
			free(ph->updater);
			ph->updater = sim_strdup(s.version);
		} else {
			r = IMAGE_FLASHED;
			sim_transcript_line(&ph->ts, "FLASH %s (%lld bytes, "
			    "sha256 ok)", s.version, s.payload);
			phone_log(ph, "so", "Updater: image %s verified and "
			    "written to flash", s.version);
			free(ph->version);
			ph->version = sim_strdup(s.version);
		}
	}
	if (bootrom && r != IMAGE_FLASHED) {
		/* A BootROM without bootrom.ld goes on to its application. */
	} else if (r == IMAGE_BAD || r == IMAGE_CURRENT) {
		free(ph->why_no_image);
		if (r == IMAGE_CURRENT)
			sim_asprintf(&ph->why_no_image, "server offered %s, "
			    "which it already runs", ph->version);
		else
			sim_asprintf(&ph->why_no_image, "image %s was "
			    "rejected", esc);
	}
	free(esc);
	if (s.md != NULL)
		EVP_MD_CTX_free(s.md);
	free(s.version);
	free(s.part);
	free(s.sha256);
	sim_fetch_free(&f);
	return (r);
}
