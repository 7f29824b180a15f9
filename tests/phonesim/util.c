/* Allocation, strings and buffers for the phone simulator. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "phonesim.h"

void
sim_fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("phonesim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void *
sim_malloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		sim_fatalx("out of memory allocating %zu bytes", size);
	return (p);
}

void *
sim_calloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		sim_fatalx("out of memory allocating %zu * %zu bytes", n, size);
	return (p);
}

void *
sim_realloc(void *ptr, size_t size)
{
	void	*p;

	if ((p = realloc(ptr, size == 0 ? 1 : size)) == NULL)
		sim_fatalx("out of memory allocating %zu bytes", size);
	return (p);
}

char *
sim_strdup(const char *s)
{
	return (sim_strndup(s, strlen(s)));
}

char *
sim_strndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		sim_fatalx("out of memory copying a string");
	return (p);
}

int
sim_asprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n == -1)
		sim_fatalx("out of memory formatting a string");
	return (n);
}

/* Printable ASCII only: bytes from the network never reach a terminal raw. */
char *
sim_escape(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	char			*out, *o;
	size_t			 i;

	o = out = sim_malloc(len * 4 + 1);
	for (i = 0; i < len; i++) {
		if (p[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (p[i] >= 0x20 && p[i] < 0x7f)
			*o++ = (char)p[i];
		else
			o += sprintf(o, "\\x%02x", p[i]);
	}
	*o = '\0';
	return (out);
}

/*
 * Control and non-ASCII bytes as \\xNN, everything else as it is: for text
 * that may mix escaped names with raw network bytes.
 */
char *
sim_printable(const char *s)
{
	const unsigned char	*p;
	char			*out, *o;

	o = out = sim_malloc(strlen(s) * 4 + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f)
			*o++ = (char)*p;
		else
			o += sprintf(o, "\\x%02x", *p);
	}
	*o = '\0';
	return (out);
}

/* A JSON string literal, quotes included; "null" for NULL. */
char *
sim_json_string(const char *s)
{
	struct sim_buf	 b = { NULL, 0, 0 };
	const unsigned char *p;

	if (s == NULL)
		return (sim_strdup("null"));
	sim_buf_add(&b, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			sim_buf_printf(&b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			sim_buf_printf(&b, "\\u%04x", *p);
		else
			sim_buf_add(&b, p, 1);
	}
	sim_buf_add(&b, "\"", 1);
	return (b.data);
}

/* Every occurrence of from in s replaced by to, in a new string. */
char *
sim_replace(const char *s, const char *from, const char *to)
{
	struct sim_buf	 b = { NULL, 0, 0 };
	const char	*hit;
	size_t		 flen = strlen(from);

	while ((hit = strstr(s, from)) != NULL) {
		sim_buf_add(&b, s, hit - s);
		sim_buf_add(&b, to, strlen(to));
		s = hit + flen;
	}
	sim_buf_add(&b, s, strlen(s) + 1);
	return (b.data);
}

char *
sim_trim(char *s)
{
	char	*end;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return (s);
}

char *
sim_sha256_hex(const void *buf, size_t len)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen, i;
	char		*hex;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL))
		sim_fatalx("SHA-256 is not available from OpenSSL");
	hex = sim_malloc(mdlen * 2 + 1);
	for (i = 0; i < mdlen; i++)
		sprintf(hex + i * 2, "%02x", md[i]);
	return (hex);
}

void
sim_buf_add(struct sim_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->size) {
		b->size = (b->len + len + 1) * 2;
		b->data = sim_realloc(b->data, b->size);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
sim_buf_printf(struct sim_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		sim_fatalx("out of memory formatting a string");
	sim_buf_add(b, s, n);
	free(s);
}

void
sim_buf_free(struct sim_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}
