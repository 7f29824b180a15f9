/*
 * The ZTP reachability check (ztpcheck.h): resolve, connect through the
 * technician's interface, TLS with exactly the CA the phones are given as
 * the only trust anchor and the host name checked, and keep every
 * observation as evidence.  Blocking; serve-ztpcheck.c runs it in a thread.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "xmalloc.h"
#include "ztpcheck.h"

#define ZTPCHECK_MAXADDR	8

struct ztpcheck_addrs {
	struct sockaddr_storage	 ss[ZTPCHECK_MAXADDR];
	socklen_t		 len[ZTPCHECK_MAXADDR];
	int			 n;
};

static int	ztpcheck_hosts(const char *, const char *,
		    struct ztpcheck_addrs *, char **);
static int	ztpcheck_resolve(const struct ztpcheck_req *,
		    struct ztpcheck_addrs *, char **);
static char	*ztpcheck_addr_text(const struct sockaddr_storage *);
static int	ztpcheck_connect(const struct ztpcheck_req *,
		    const struct sockaddr_storage *, socklen_t, char **);
static int	ztpcheck_bind_via(int, const char *, int, char **);
static void	ztpcheck_tls(const struct ztpcheck_req *, int,
		    struct ztpcheck_result *);
static char	*ztpcheck_name(X509_NAME *);
static char	*ztpcheck_ssl_error(void);

int
ztpcheck_target(const char *text, char **host, unsigned *port, char **cause)
{
	const char	*h, *end, *colon;
	char		*p;
	unsigned long	 v;

	h = text;
	if ((p = strstr(text, "://")) != NULL)
		h = p + 3;
	*port = 443;
	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL)
			goto bad;
		*host = xstrndup(h + 1, end - h - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		end++;
	} else {
		end = h + strcspn(h, ":/");
		*host = xstrndup(h, end - h);
		colon = *end == ':' ? end : NULL;
	}
	if (**host == '\0') {
		free(*host);
		goto bad;
	}
	if (colon != NULL) {
		errno = 0;
		v = strtoul(colon + 1, &p, 10);
		if (errno != 0 || p == colon + 1 || v == 0 || v > 65535 ||
		    (*p != '\0' && *p != '/')) {
			free(*host);
			goto bad;
		}
		*port = (unsigned)v;
	}
	return (0);
bad:
	*host = NULL;
	xasprintf(cause, "'%s' is not a host to check: give HOST, HOST:PORT "
	    "or a URL such as https://host:port/", text);
	return (-1);
}

/* "ADDR NAME [ALIAS...]" lines, # comments: only the given file is read. */
static int
ztpcheck_hosts(const char *file, const char *host, struct ztpcheck_addrs *a,
    char **cause)
{
	struct addrinfo	 hints, *res;
	FILE		*fp;
	char		 line[1024], *w, *addr, *save;

	if ((fp = fopen(file, "r")) == NULL) {
		xasprintf(cause, "cannot read the hosts file %s: %s", file,
		    strerror(errno));
		return (-1);
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_STREAM;
	while (a->n < ZTPCHECK_MAXADDR && fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "#\r\n")] = '\0';
		if ((addr = strtok_r(line, " \t", &save)) == NULL)
			continue;
		while ((w = strtok_r(NULL, " \t", &save)) != NULL) {
			if (strcasecmp(w, host) != 0)
				continue;
			if (getaddrinfo(addr, NULL, &hints, &res) != 0)
				break;
			memcpy(&a->ss[a->n], res->ai_addr, res->ai_addrlen);
			a->len[a->n++] = res->ai_addrlen;
			freeaddrinfo(res);
			break;
		}
	}
	fclose(fp);
	if (a->n == 0) {
		xasprintf(cause, "%s does not resolve (not in the hosts file "
		    "%s)", host, file);
		return (-1);
	}
	return (0);
}

static int
ztpcheck_resolve(const struct ztpcheck_req *rq, struct ztpcheck_addrs *a,
    char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	int		 error;

	a->n = 0;
	if (rq->hosts_file != NULL)
		return (ztpcheck_hosts(rq->hosts_file, rq->host, a, cause));
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(rq->host, NULL, &hints, &res)) != 0) {
		xasprintf(cause, "%s does not resolve (%s)", rq->host,
		    gai_strerror(error));
		return (-1);
	}
	for (ai = res; ai != NULL && a->n < ZTPCHECK_MAXADDR; ai = ai->ai_next) {
		memcpy(&a->ss[a->n], ai->ai_addr, ai->ai_addrlen);
		a->len[a->n++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	return (0);
}

static char *
ztpcheck_addr_text(const struct sockaddr_storage *ss)
{
	char	buf[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->
		    sin6_addr, buf, sizeof buf);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    buf, sizeof buf);
	return (xstrdup(buf));
}

/*
 * Out through the interface: SO_BINDTODEVICE when allowed (root or
 * CAP_NET_RAW), else the interface's own address as the source.
 */
static int
ztpcheck_bind_via(int fd, const char *via, int family, char **cause)
{
	struct ifaddrs	*ifa, *i;
	int		 done = -1;

	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, via,
	    strlen(via) + 1) == 0)
		return (0);
	if (errno != EPERM && errno != EACCES) {
		xasprintf(cause, "cannot use interface %s: %s", via,
		    strerror(errno));
		return (-1);
	}
	if (getifaddrs(&ifa) != 0) {
		xasprintf(cause, "cannot list interfaces: %s", strerror(errno));
		return (-1);
	}
	for (i = ifa; i != NULL && done != 0; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, via) != 0 ||
		    i->ifa_addr->sa_family != family)
			continue;
		done = bind(fd, i->ifa_addr, family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	}
	freeifaddrs(ifa);
	if (done != 0)
		xasprintf(cause, "interface %s has no usable %s address", via,
		    family == AF_INET6 ? "IPv6" : "IPv4");
	return (done);
}

static int
ztpcheck_connect(const struct ztpcheck_req *rq,
    const struct sockaddr_storage *ss, socklen_t len, char **cause)
{
	struct sockaddr_storage	 to;
	struct pollfd		 pfd;
	struct timeval		 tv;
	socklen_t		 elen = sizeof(int);
	int			 fd, error = 0, flags;

	memcpy(&to, ss, len);
	if (to.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&to)->sin6_port = htons(rq->port);
	else
		((struct sockaddr_in *)&to)->sin_port = htons(rq->port);
	if ((fd = socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	if (rq->via != NULL &&
	    ztpcheck_bind_via(fd, rq->via, to.ss_family, cause) != 0) {
		close(fd);
		return (-1);
	}
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&to, len) != 0) {
		if (errno != EINPROGRESS)
			error = errno;
		else {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, rq->timeout_ms) <= 0)
				error = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error,
			    &elen) != 0)
				error = errno;
		}
	}
	if (error != 0) {
		xasprintf(cause, "connect to port %u: %s", rq->port,
		    strerror(error));
		close(fd);
		return (-1);
	}
	fcntl(fd, F_SETFL, flags);
	tv.tv_sec = rq->timeout_ms / 1000;
	tv.tv_usec = (rq->timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return (fd);
}

static char *
ztpcheck_name(X509_NAME *name)
{
	BIO	*b;
	char	*out, *data;
	long	 n;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return (xstrdup("?"));
	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
	n = BIO_get_mem_data(b, &data);
	out = xstrndup(data, n > 0 ? (size_t)n : 0);
	BIO_free(b);
	return (out);
}

static char *
ztpcheck_ssl_error(void)
{
	unsigned long	e = ERR_get_error();
	char		buf[256];

	if (e == 0)
		return (xstrdup("the connection closed during the handshake"));
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return (xstrdup(buf));
}

/* The handshake, with only the phones' CA trusted and the name checked. */
static void
ztpcheck_tls(const struct ztpcheck_req *rq, int fd, struct ztpcheck_result *r)
{
	SSL_CTX		*ctx;
	SSL		*ssl = NULL;
	X509		*ca = NULL, *leaf = NULL;
	BIO		*bio;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen, i;
	long		 vr;
	char		*err;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		xasprintf(&r->why, "TLS set-up failed");
		return;
	}
	bio = BIO_new_mem_buf(rq->ca_pem, -1);
	ca = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (ca == NULL ||
	    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) != 1) {
		xasprintf(&r->why, "the installed CA could not be loaded");
		goto out;
	}
	/* Verified after the handshake, so the chain is seen either way. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set1_host(ssl, rq->host) != 1) {
		xasprintf(&r->why, "TLS set-up failed");
		goto out;
	}
	SSL_set_tlsext_host_name(ssl, rq->host);
	if (SSL_connect(ssl) != 1) {
		err = ztpcheck_ssl_error();
		xasprintf(&r->why, "TLS handshake with %s (%s) failed: %s",
		    rq->host, r->connected, err);
		free(err);
		goto out;
	}
	if ((leaf = SSL_get1_peer_certificate(ssl)) == NULL) {
		xasprintf(&r->why, "%s presented no certificate", rq->host);
		goto out;
	}
	r->subject = ztpcheck_name(X509_get_subject_name(leaf));
	r->issuer = ztpcheck_name(X509_get_issuer_name(leaf));
	if (X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1) {
		for (i = 0; i < mdlen && i < 32; i++)
			snprintf(r->leaf_sha256 + 2 * i, 3, "%02x", md[i]);
	}
	if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK) {
		r->verify_error = xstrdup(X509_verify_cert_error_string(vr));
		xasprintf(&r->why, "%s presented %s (issuer %s), not accepted "
		    "by the installed CA %s: %s", rq->host, r->subject,
		    r->issuer, rq->ca_sha256, r->verify_error);
		goto out;
	}
	r->ok = 1;
out:
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	X509_free(leaf);
	X509_free(ca);
	SSL_CTX_free(ctx);
}

void
ztpcheck_run(const struct ztpcheck_req *rq, struct ztpcheck_result *r)
{
	struct ztpcheck_addrs	 a;
	char			*cause = NULL, *text, *list = NULL, *next;
	int			 i, fd = -1;

	memset(r, 0, sizeof *r);
	r->at = clock_wall_ms();
	r->host = xstrdup(rq->host);
	r->port = rq->port;
	r->via = rq->via != NULL ? xstrdup(rq->via) : NULL;
	r->repoint = xstrdup(rq->repoint);
	memcpy(r->ca_sha256, rq->ca_sha256, sizeof r->ca_sha256);
	if (ztpcheck_resolve(rq, &a, &r->why) != 0)
		return;
	for (i = 0; i < a.n; i++) {
		text = ztpcheck_addr_text(&a.ss[i]);
		xasprintf(&next, "%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", text);
		free(text);
		free(list);
		list = next;
	}
	r->addresses = list;
	for (i = 0; i < a.n && fd == -1; i++) {
		free(cause);
		cause = NULL;
		fd = ztpcheck_connect(rq, &a.ss[i], a.len[i], &cause);
		if (fd != -1)
			r->connected = ztpcheck_addr_text(&a.ss[i]);
	}
	if (fd == -1) {
		xasprintf(&r->why, "%s (%s) is not reachable%s%s: %s",
		    rq->host, r->addresses, rq->via != NULL ? " via " : "",
		    rq->via != NULL ? rq->via : "", cause);
		free(cause);
		return;
	}
	free(cause);
	ztpcheck_tls(rq, fd, r);
	close(fd);
}

void
ztpcheck_req_free(struct ztpcheck_req *rq)
{
	free(rq->host);
	free(rq->via);
	free(rq->hosts_file);
	free(rq->ca_pem);
	free(rq->repoint);
	memset(rq, 0, sizeof *rq);
}

void
ztpcheck_result_free(struct ztpcheck_result *r)
{
	free(r->host);
	free(r->via);
	free(r->repoint);
	free(r->addresses);
	free(r->connected);
	free(r->subject);
	free(r->issuer);
	free(r->verify_error);
	free(r->why);
	memset(r, 0, sizeof *r);
}

static void
ztpcheck_time(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
ztpcheck_sentence(const struct ztpcheck_result *r)
{
	char	*out, at[32];

	if (!r->ok) {
		xasprintf(&out, "check FAILED: %s", r->why != NULL ? r->why :
		    "no result");
		return (out);
	}
	ztpcheck_time(r->at, at, sizeof at);
	xasprintf(&out, "verified from this closet at %s via %s: %s presented "
	    "%s, accepted by the installed CA %s", at, r->via != NULL ?
	    r->via : "the default route", r->host, r->subject, r->ca_sha256);
	return (out);
}

static json_t *
ztpcheck_str(const char *s)
{
	return (s != NULL && *s != '\0' ? json_string(s) : json_null());
}

json_t *
ztpcheck_json(const struct ztpcheck_result *r)
{
	json_t	*o;
	char	*sentence, at[32];

	ztpcheck_time(r->at, at, sizeof at);
	sentence = ztpcheck_sentence(r);
	o = json_pack("{s:s, s:s, s:I, s:o, s:s, s:s, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:s, s:s}",
	    "result", r->ok ? "verified" : "failed",
	    "host", r->host,
	    "port", (json_int_t)r->port,
	    "via", ztpcheck_str(r->via),
	    "repoint", r->repoint,
	    "ca_sha256", r->ca_sha256,
	    "addresses", ztpcheck_str(r->addresses),
	    "connected", ztpcheck_str(r->connected),
	    "subject", ztpcheck_str(r->subject),
	    "issuer", ztpcheck_str(r->issuer),
	    "leaf_sha256", ztpcheck_str(r->leaf_sha256),
	    "verify_error", ztpcheck_str(r->verify_error),
	    "why", ztpcheck_str(r->why),
	    "at", at,
	    "sentence", sentence);
	free(sentence);
	return (o);
}
