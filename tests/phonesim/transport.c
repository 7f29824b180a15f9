/*
 * One request from the phone to its boot server, over libcurl's TFTP or
 * HTTP client as the server URL's scheme says, with the phone's User-Agent
 * and faults applied, written to the transcript as one line:
 * "TFTP RRQ <name> ok", "HTTP GET <name> 404", or what the sink said
 * ("abandoned after 512 bytes").  One easy handle per phone, so HTTP
 * connections are kept alive between requests as a phone does.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "phonesim.h"

#define SIM_LOSS_RETRIES	4

struct transfer {
	struct sim_fetch	*f;
	CURL			*curl;
	int			 tftp;
	int			 vanish;	/* abandon at the next block */
	curl_socket_t		 fd;		/* the TFTP socket */
	size_t			 sent;
};

static size_t	transport_write(char *, size_t, size_t, void *);
static size_t	transport_read(char *, size_t, size_t, void *);
static int	transport_tftp_error(CURLcode);
static const char *transport_verb(int, enum sim_method);
static int	transport_plain(struct phone *, const char *, struct sim_fetch *,
		    const char *);

int
sim_is_tftp(const char *url)
{
	return (strncasecmp(url, "tftp://", 7) == 0);
}

/* base "http://h:p/dir/" + "a.cfg"; a name that is a URL stands alone. */
char *
sim_url_join(const char *base, const char *name)
{
	char	*url;
	size_t	 len = strlen(base);

	if (strstr(name, "://") != NULL)
		return (sim_strdup(name));
	while (*name == '/')
		name++;
	sim_asprintf(&url, "%s%s%s", base,
	    len > 0 && base[len - 1] == '/' ? "" : "/", name);
	return (url);
}

/*
 * A phone abandons a TFTP image without an error packet: it stops
 * acknowledging and closes its port (docs/engine.md).  libcurl would send
 * an ERROR on the way out, so its socket is swapped for one that cannot
 * reach the server: the port closes, and the error goes nowhere.
 */
static void
transport_tftp_vanish(struct transfer *t)
{
	int	dead;

	if (t->fd == CURL_SOCKET_BAD ||
	    (dead = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return;
	dup2(dead, t->fd);
	close(dead);
}

/* curl's socket, remembered for transport_tftp_vanish. */
static curl_socket_t
transport_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct transfer	*t = arg;

	t->fd = socket(a->family, a->socktype, a->protocol);
	return (t->fd);
}

static size_t
transport_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct transfer		*t = arg;
	struct sim_fetch	*f = t->f;
	size_t			 len = size * nmemb;
	long			 code = 0;

	/* An HTTP error page is not the file: the sink never sees it. */
	if (f->sink != NULL && !t->tftp) {
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code > 299)
			return (len);
	}
	if (t->vanish) {		/* the block after the one it read */
		transport_tftp_vanish(t);
		return (0);
	}
	if (f->sink != NULL) {
		if (f->sink(f->sink_arg, ptr, len) != 0) {
			f->aborted = 1;
			/*
			 * Over TFTP the block it read is acknowledged (curl
			 * does that when this returns), then it vanishes.
			 */
			if (t->tftp) {
				t->vanish = 1;
				return (len);
			}
			return (0);	/* curl stops: the connection closes */
		}
		f->bytes += len;
		return (len);
	}
	if (f->data.len + len > SIM_BODY_MAX)
		return (0);
	sim_buf_add(&f->data, ptr, len);
	f->bytes += len;
	return (len);
}

static size_t
transport_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct transfer		*t = arg;
	struct sim_fetch	*f = t->f;
	size_t			 len = size * nmemb;

	if (len > f->body_len - t->sent)
		len = f->body_len - t->sent;
	memcpy(ptr, (const char *)f->body + t->sent, len);
	t->sent += len;
	return (len);
}

/* The TFTP error code behind curl's result (RFC 1350 codes 1..7). */
static int
transport_tftp_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_TFTP_NOTFOUND:
		return (1);
	case CURLE_TFTP_PERM:
		return (2);
	case CURLE_REMOTE_DISK_FULL:
		return (3);
	case CURLE_TFTP_ILLEGAL:
		return (4);
	case CURLE_TFTP_UNKNOWNID:
		return (5);
	case CURLE_REMOTE_FILE_EXISTS:
		return (6);
	case CURLE_TFTP_NOSUCHUSER:
		return (7);
	default:
		return (-1);
	}
}

static const char *
transport_verb(int tftp, enum sim_method m)
{
	if (tftp)
		return (m == SIM_PUT ? "WRQ" : "RRQ");
	switch (m) {
	case SIM_HEAD:
		return ("HEAD");
	case SIM_PUT:
		return ("PUT");
	default:
		return ("GET");
	}
}

/*
 * Returns 0 when the request got an answer (found or not), -1 when it
 * failed (no answer, timeout, aborted).
 */
int
phone_fetch(struct phone *ph, const char *base, struct sim_fetch *f)
{
	struct transfer		 t = { f, NULL, 0, 0, CURL_SOCKET_BAD, 0 };
	struct curl_slist	*hdrs = NULL;
	CURL			*c;
	CURLcode		 rc;
	char			*url, *ua, *esc, *bind, errbuf[CURL_ERROR_SIZE];
	const char		*proto, *verb;
	int			 tftp, attempt, code;
	long			 remaining;

	tftp = sim_is_tftp(base);
	proto = tftp ? "TFTP" : "HTTP";
	verb = transport_verb(tftp, f->method);
	esc = sim_escape(f->name, strlen(f->name));
	for (attempt = 0; sim_fault_lose(&ph->faults); attempt++) {
		if (attempt == SIM_LOSS_RETRIES) {
			sim_transcript_line(&ph->ts, "%s %s %s lost, gave up",
			    proto, verb, esc);
			free(esc);
			return (-1);
		}
		sim_transcript_line(&ph->ts, "%s %s %s lost, retry", proto,
		    verb, esc);
		usleep(50 * 1000);
	}
	remaining = (long)(ph->deadline - time(NULL));
	if (remaining <= 0) {
		sim_transcript_line(&ph->ts, "%s %s %s not sent: out of time",
		    proto, verb, esc);
		free(esc);
		return (-1);
	}

	if (tftp && ph->tftp_plain && f->method == SIM_GET &&
	    ph->tftp_blksize == 0 && ph->faults.slow_kbps == 0) {
		code = transport_plain(ph, base, f, esc);
		free(esc);
		return (code);
	}

	if (ph->curl == NULL && (ph->curl = curl_easy_init()) == NULL)
		sim_fatalx("curl_easy_init failed");
	c = ph->curl;
	curl_easy_reset(c);
	t.curl = c;
	t.tftp = tftp;
	url = sim_url_join(base, f->name);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, remaining);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, transport_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, transport_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &t);
	if (ph->source != NULL) {
		sim_asprintf(&bind, "host!%s", ph->source);
		curl_easy_setopt(c, CURLOPT_INTERFACE, bind);
		free(bind);
	}
	if (ph->faults.slow_kbps > 0) {
		curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE,
		    (curl_off_t)ph->faults.slow_kbps * 1000 / 8);
	}
	if (tftp) {
		if (ph->tftp_blksize > 0) {
			curl_easy_setopt(c, CURLOPT_TFTP_BLKSIZE,
			    (long)ph->tftp_blksize);
		} else
			curl_easy_setopt(c, CURLOPT_TFTP_NO_OPTIONS, 1L);
	} else {
		ua = phone_user_agent(ph);
		curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
		free(ua);
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	if (f->method == SIM_HEAD)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (f->method == SIM_PUT) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, transport_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &t);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)f->body_len);
	}
	errbuf[0] = '\0';
	rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	free(url);

	if (!tftp && rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
	if (f->outcome != NULL) {
		sim_transcript_line(&ph->ts, "%s %s %s %s", proto, verb, esc,
		    f->outcome);
	} else if (rc == CURLE_OK && tftp) {
		f->found = 1;
		sim_transcript_line(&ph->ts, "%s %s %s ok", proto, verb, esc);
	} else if (rc == CURLE_OK) {
		f->found = (f->status >= 200 && f->status < 300);
		sim_transcript_line(&ph->ts, "%s %s %s %ld", proto, verb, esc,
		    f->status);
	} else if (tftp && (code = transport_tftp_error(rc)) != -1) {
		f->status = code;
		sim_transcript_line(&ph->ts, "%s %s %s error %d", proto, verb,
		    esc, code);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		sim_transcript_line(&ph->ts, "%s %s %s timeout", proto, verb,
		    esc);
	} else {
		sim_transcript_line(&ph->ts, "%s %s %s failed: %s", proto,
		    verb, esc, curl_easy_strerror(rc));
	}
	free(esc);
	if (rc == CURLE_OK)
		return (0);
	if (tftp && transport_tftp_error(rc) != -1)
		return (0);
	return (-1);
}

void
sim_fetch_free(struct sim_fetch *f)
{
	free(f->outcome);
	f->outcome = NULL;
	sim_buf_free(&f->data);
}

/*
 * A TFTP read on tftp-get.c instead of libcurl, with the same transcript
 * lines and results as the libcurl path above.
 */
static int
transport_plain(struct phone *ph, const char *base, struct sim_fetch *f,
    const char *esc)
{
	char	*url, why[256];
	int	 rv;

	why[0] = '\0';
	url = sim_url_join(base, f->name);
	rv = sim_tftp_get(url, ph->source, ph->deadline, f, why, sizeof why);
	free(url);
	if (f->outcome != NULL)
		sim_transcript_line(&ph->ts, "TFTP RRQ %s %s", esc,
		    f->outcome);
	else if (rv == SIM_TFTP_OK)
		sim_transcript_line(&ph->ts, "TFTP RRQ %s ok", esc);
	else if (rv == SIM_TFTP_ERROR)
		sim_transcript_line(&ph->ts, "TFTP RRQ %s error %ld", esc,
		    f->status);
	else if (rv == SIM_TFTP_TIMEOUT)
		sim_transcript_line(&ph->ts, "TFTP RRQ %s timeout", esc);
	else
		sim_transcript_line(&ph->ts, "TFTP RRQ %s failed: %s", esc,
		    why);
	if (rv == SIM_TFTP_OK) {
		f->found = 1;
		return (0);
	}
	return (rv == SIM_TFTP_ERROR ? 0 : -1);
}
