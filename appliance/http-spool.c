/*
 * Streaming PUT bodies to the quarantine: see http-spool.h.
 *
 * The watch runs in the input evbuffer's callback, which libevent calls as
 * soon as bytes are read and before evhttp's read callback sees them.  The
 * bytes not yet looked at are always the last `fresh` of the buffer (evhttp
 * only ever takes from its front), so a request evhttp has not consumed yet
 * (a pipelined GET ahead of a PUT) stays where it is.
 *
 * Framing follows evhttp's: lines end in LF or CRLF, a head ends at an
 * empty line, HEAD never has a body.  A request other than a PUT that
 * announces a body stops the watch for the connection (evhttp, whose body
 * limit is 0, refuses it and closes), as does a head longer than evhttp
 * would take; a PUT that reaches evhttp without passing here finds no body
 * and is refused.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "http-spool.h"
#include "pathsafe.h"
#include "upload.h"
#include "xmalloc.h"

enum spool_mode {
	SPOOL_HEAD,	/* reading request heads */
	SPOOL_BODY,	/* a PUT's body goes to its upload */
	SPOOL_DROP,	/* after a PUT: everything is dropped */
	SPOOL_OFF	/* not watched any more (evhttp alone) */
};

/* Where a chunked body is. */
enum spool_chunk {
	CHUNK_NONE,	/* not chunked: Content-Length */
	CHUNK_SIZE,	/* a chunk's size line */
	CHUNK_DATA,	/* its bytes */
	CHUNK_DATA_END,	/* the line end after them */
	CHUNK_TRAILER	/* after the last chunk, up to an empty line */
};

/* The longest line of chunked framing (a size and its extensions). */
#define HTTP_SPOOL_LINE_MAX	1024

struct http_spool {
	struct bufferevent	*bev;
	struct upload_store	*store;
	uint64_t		 max_upload;
	size_t			 max_head;
	http_spool_reclaim_fn	 reclaim;
	void			*reclaim_arg;
	enum spool_mode		 mode;
	size_t			 fresh;		/* bytes at the end not looked at */
	int			 ours;		/* changing the input ourselves */
	unsigned		 heads;		/* requests passed to evhttp */

	/* The PUT being spooled (one a connection). */
	struct evbuffer		*body;		/* bytes of it not yet written */
	enum spool_chunk	 chunk;
	uint64_t		 chunk_left;
	char			*head;		/* rewritten, for evhttp */
	char			*name;		/* decoded, for the handler */
	size_t			 namelen;
	struct http_spool_put	 put;
	int			 handed;	/* head given to evhttp */
	int			 taken;		/* the handler has it */
};

static size_t	 http_spool_find_head(struct http_spool *, struct evbuffer *,
		    size_t);
static void	 http_spool_head(struct http_spool *, struct evbuffer *,
		    size_t, size_t, int);
static struct evbuffer *http_spool_tail(struct http_spool *,
		    struct evbuffer *, size_t);
static void	 http_spool_body(struct http_spool *, struct evbuffer *);
static int	 http_spool_expect(struct http_spool *, uint64_t, char **);
static void	 http_spool_refuse(struct http_spool *, int, const char *);
static void	 http_spool_hand(struct http_spool *, struct evbuffer *);
static char	*http_spool_name(const char *, size_t *);
static int	 http_spool_is(const char *, size_t, const char *);

struct http_spool *
http_spool_new(struct bufferevent *bev, struct upload_store *store,
    uint64_t max_upload, size_t max_head, http_spool_reclaim_fn reclaim,
    void *reclaim_arg)
{
	struct http_spool	*sp;

	sp = xcalloc(1, sizeof *sp);
	sp->bev = bev;
	sp->store = store;
	sp->max_upload = max_upload;
	sp->max_head = max_head;
	sp->reclaim = reclaim;
	sp->reclaim_arg = reclaim_arg;
	sp->mode = SPOOL_HEAD;
	sp->body = evbuffer_new();
	return (sp);
}

void
http_spool_free(struct http_spool *sp)
{
	if (sp == NULL)
		return;
	if (!sp->taken) {
		upload_abort(sp->put.up);
		free(sp->put.cause);
	}
	evbuffer_free(sp->body);
	free(sp->head);
	free(sp->name);
	free(sp);
}

int
http_spool_busy(const struct http_spool *sp)
{
	return (sp->put.up != NULL && !sp->taken);
}

int
http_spool_take(struct http_spool *sp, const char *name, size_t len,
    struct http_spool_put *out)
{
	if (!sp->handed || sp->taken || sp->name == NULL ||
	    sp->namelen != len || memcmp(sp->name, name, len) != 0)
		return (-1);
	sp->taken = 1;
	*out = sp->put;
	return (0);
}

void
http_spool_input(struct http_spool *sp, struct evbuffer *in,
    const struct evbuffer_cb_info *info, int quiet)
{
	struct evbuffer	*tail;
	size_t		 len, start, end;

	if (sp->ours || info->n_added == 0 || sp->mode == SPOOL_OFF)
		return;
	sp->fresh += info->n_added;
	len = evbuffer_get_length(in);
	if (sp->fresh > len)
		sp->fresh = len;	/* cannot happen: evhttp takes the front */
	switch (sp->mode) {
	case SPOOL_HEAD:
		while (sp->mode == SPOOL_HEAD && sp->fresh > 0) {
			start = evbuffer_get_length(in) - sp->fresh;
			if ((end = http_spool_find_head(sp, in, start)) == 0)
				break;
			http_spool_head(sp, in, start, end - start, quiet);
		}
		break;
	case SPOOL_BODY:
		tail = http_spool_tail(sp, in, sp->fresh);
		http_spool_body(sp, tail);
		evbuffer_free(tail);
		if (sp->mode != SPOOL_BODY)
			http_spool_hand(sp, in);
		break;
	case SPOOL_DROP:
		evbuffer_free(http_spool_tail(sp, in, sp->fresh));
		break;
	case SPOOL_OFF:
		break;
	}
}

/*
 * Where the head starting at start ends (past its empty line), or 0 when
 * it is not whole yet.  A head evhttp would refuse as too long, or one
 * that starts with an empty line, ends the watch: evhttp refuses it.
 */
static size_t
http_spool_find_head(struct http_spool *sp, struct evbuffer *in, size_t start)
{
	struct evbuffer_ptr	p, eol;
	size_t			eol_len;

	if (evbuffer_ptr_set(in, &p, start, EVBUFFER_PTR_SET) != 0) {
		sp->mode = SPOOL_OFF;
		return (0);
	}
	for (;;) {
		eol = evbuffer_search_eol(in, &p, &eol_len, EVBUFFER_EOL_CRLF);
		if (eol.pos == -1)
			break;
		if (eol.pos == p.pos) {
			if (p.pos == (ev_ssize_t)start) {
				sp->mode = SPOOL_OFF;
				return (0);
			}
			return ((size_t)eol.pos + eol_len);
		}
		if (evbuffer_ptr_set(in, &p, (size_t)eol.pos + eol_len,
		    EVBUFFER_PTR_SET) != 0)
			break;
	}
	/* evhttp caps the first line and the header lines each. */
	if (sp->fresh > 2 * sp->max_head + 4)
		sp->mode = SPOOL_OFF;
	return (0);
}

/* Whether the line (len bytes) is the header called name. */
static int
http_spool_is(const char *line, size_t len, const char *name)
{
	size_t	n = strlen(name);

	return (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0);
}

/* The value of a header line, trimmed, allocated. */
static char *
http_spool_value(const char *line, size_t len)
{
	const char	*v = memchr(line, ':', len), *end = line + len;

	for (v++; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (xstrndup(v, (size_t)(end - v)));
}

/* The request's name as the handler sees it; NULL if it has none. */
char *
http_request_path(const char *uri, size_t *lenp)
{
	struct evhttp_uri	*u;
	const char		*path;
	char			*decoded = NULL, *raw;

	if (uri[0] == '/' && uri[1] == '/') {
		raw = xstrndup(uri, strcspn(uri, "?#"));
		decoded = evhttp_uridecode(raw, 0, lenp);
		free(raw);
		return (decoded);
	}
	if ((u = evhttp_uri_parse_with_flags(uri,
	    EVHTTP_URI_NONCONFORMANT)) == NULL)
		return (NULL);
	if ((path = evhttp_uri_get_path(u)) != NULL)
		decoded = evhttp_uridecode(path, 0, lenp);
	evhttp_uri_free(u);
	return (decoded);
}

static char *
http_spool_name(const char *uri, size_t *lenp)
{
	char			*decoded, *name, *cause = NULL;
	size_t			 len = 0, skip = 0;

	if ((decoded = http_request_path(uri, &len)) == NULL)
		return (NULL);
	while (skip < len && decoded[skip] == '/')
		skip++;
	if (skip == len || pathsafe_check(decoded + skip, len - skip,
	    &cause) != 0) {
		free(cause);
		free(decoded);
		return (NULL);
	}
	name = xmalloc(len - skip + 1);
	memcpy(name, decoded + skip, len - skip);
	name[len - skip] = '\0';
	*lenp = len - skip;
	free(decoded);
	return (name);
}

/*
 * A whole head of len bytes at start.  Anything but a PUT stays for
 * evhttp; a PUT is taken out, rewritten, and its body spooled.
 */
static void
http_spool_head(struct http_spool *sp, struct evbuffer *in, size_t start,
    size_t len, int quiet)
{
	static const char	 cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct evbuffer_ptr	 p;
	struct evbuffer		*tail, *out;
	char			*h, *line, *next, *end, *sp1, *sp2, *cl = NULL;
	char			*uri, *cause = NULL;
	size_t			 n;
	char			*te = NULL;
	int			 put, expect = 0, drop = 0, ncl = 0;
	unsigned long long	 v;

	h = xmalloc(len + 1);
	evbuffer_ptr_set(in, &p, start, EVBUFFER_PTR_SET);
	evbuffer_copyout_from(in, &p, h, len);
	h[len] = '\0';
	put = strncmp(h, "PUT ", 4) == 0;
	out = evbuffer_new();
	end = h + len;
	for (line = h; line < end; line = next) {
		next = memchr(line, '\n', (size_t)(end - line));
		next = next != NULL ? next + 1 : end;
		n = (size_t)(next - line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			break;
		if (line == h) {
			evbuffer_add(out, line, n);
			evbuffer_add(out, "\r\n", 2);
			continue;
		}
		/* A folded line belongs to the header above it. */
		if ((line[0] == ' ' || line[0] == '\t') && drop)
			continue;
		drop = 0;
		if (http_spool_is(line, n, "Content-Length")) {
			if (cl == NULL)
				cl = http_spool_value(line, n);
			ncl++;
			drop = 1;
		} else if (http_spool_is(line, n, "Transfer-Encoding")) {
			free(te);
			te = http_spool_value(line, n);
			drop = 1;
		} else if (http_spool_is(line, n, "Expect")) {
			expect = 1;
			drop = 1;
		} else if (http_spool_is(line, n, "Connection") ||
		    http_spool_is(line, n, "Keep-Alive"))
			drop = 1;
		if (!drop) {
			evbuffer_add(out, line, n);
			evbuffer_add(out, "\r\n", 2);
		}
	}

	if (!put) {
		/*
		 * HEAD never has a body; any other with one ("Content-Length:
		 * 0" is none) ends the watch.
		 */
		if (strncmp(h, "HEAD ", 5) != 0 && (te != NULL ||
		    (cl != NULL && (cl[0] == '\0' || strspn(cl, "0") !=
		    strlen(cl)))))
			sp->mode = SPOOL_OFF;
		sp->fresh -= len;
		sp->heads++;
		goto out;
	}

	/* The PUT: out of the stream, with all that follows it. */
	tail = http_spool_tail(sp, in, sp->fresh);
	evbuffer_drain(tail, len);
	evbuffer_add_printf(out, "Content-Length: 0\r\nConnection: close\r\n"
	    "\r\n");
	n = evbuffer_get_length(out);
	sp->head = xmalloc(n + 1);
	evbuffer_remove(out, sp->head, n);
	sp->head[n] = '\0';
	sp->mode = SPOOL_BODY;

	line = xstrndup(h, strcspn(h, "\r\n"));
	sp1 = strchr(line, ' ');
	sp2 = strrchr(line, ' ');
	if (sp1 != NULL && sp2 > sp1) {
		uri = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
		sp->name = http_spool_name(uri, &sp->namelen);
		free(uri);
	}
	if (sp->name == NULL) {
		/* The handler refuses the path; nothing to keep. */
		http_spool_refuse(sp, 400, "the request's path is not a file "
		    "name");
	} else if ((te != NULL && strcasecmp(te, "chunked") != 0) ||
	    (te == NULL && cl == NULL))
		/* Neither: no body (RFC 9112 6.3), whatever bytes follow. */
		http_spool_refuse(sp, 411, "a PUT must say its length "
		    "(Content-Length) or be chunked");
	else if (te == NULL && (ncl > 1 || (cl != NULL && (cl[0] == '\0' ||
	    strspn(cl, "0123456789") != strlen(cl) || strlen(cl) > 19))))
		http_spool_refuse(sp, 400, "its Content-Length is not one "
		    "number");
	else {
		/* Chunked: the quotas are charged as the chunks come. */
		sp->chunk = te != NULL ? CHUNK_SIZE : CHUNK_NONE;
		v = cl != NULL && te == NULL ? strtoull(cl, NULL, 10) : 0;
		sp->put.declared = v;
		if (v > sp->max_upload) {
			xasprintf(&cause, "the upload of %llu bytes is over the "
			    "limit of %llu bytes", v,
			    (unsigned long long)sp->max_upload);
			http_spool_refuse(sp, 413, cause);
		} else if (sp->store == NULL)
			http_spool_refuse(sp, 403, "uploads are not accepted "
			    "here");
		else if (upload_check_name(sp->store, sp->name, &cause) != 0)
			http_spool_refuse(sp, 403, cause);
		/* Past the name: the quota or the disk (507, as documented). */
		else if ((sp->put.up = upload_begin(sp->store, sp->name,
		    &cause)) == NULL)
			http_spool_refuse(sp, 507, cause);
		else if (http_spool_expect(sp, v, &cause) != 0)
			http_spool_refuse(sp, 507, cause);
		else if (expect && quiet && sp->heads == 0 &&
		    strstr(line, " HTTP/1.1") != NULL &&
		    evbuffer_get_length(bufferevent_get_output(sp->bev)) ==
		    0) {
			/*
			 * Only on a connection's first request: evhttp's
			 * write callback then has nothing to resume.
			 */
			bufferevent_enable(sp->bev, EV_WRITE);
			bufferevent_write(sp->bev, cont, sizeof cont - 1);
		}
	}
	free(cause);
	free(line);
	if (sp->mode == SPOOL_BODY)
		http_spool_body(sp, tail);
	evbuffer_free(tail);
	if (sp->mode != SPOOL_BODY)
		http_spool_hand(sp, in);
out:
	evbuffer_free(out);
	free(te);
	free(cl);
	free(h);
}

/*
 * Charge the declared length.  Refused, a PUT that another host trickles
 * to pin the quotas gives its charge back (see http_spool_reclaim_fn), and
 * the charge is tried again: each try ends one connection, so this ends.
 */
static int
http_spool_expect(struct http_spool *sp, uint64_t len, char **cause)
{
	while (upload_expect(sp->put.up, len, cause) != 0) {
		/*
		 * Over its phone's own quota or the size cap, nothing another
		 * gives back helps: a slow phone's log was ended for nothing.
		 */
		if (sp->reclaim == NULL ||
		    !upload_refused_for_room(sp->put.up) ||
		    sp->reclaim(sp->reclaim_arg, sp) != 0)
			return (-1);
		free(*cause);
		*cause = NULL;
	}
	return (0);
}

/*
 * The last n bytes of the input, moved out into a buffer of their own (the
 * bytes before them stay, for evhttp).
 */
static struct evbuffer *
http_spool_tail(struct http_spool *sp, struct evbuffer *in, size_t n)
{
	struct evbuffer	*front, *tail = evbuffer_new();
	size_t		 len = evbuffer_get_length(in);

	sp->ours++;
	if (n >= len)
		evbuffer_add_buffer(tail, in);
	else {
		front = evbuffer_new();
		evbuffer_remove_buffer(in, front, len - n);
		evbuffer_add_buffer(tail, in);
		evbuffer_add_buffer(in, front);
		evbuffer_free(front);
	}
	sp->ours--;
	sp->fresh = 0;
	return (tail);
}

/* The first n bytes of the body buffer, to the upload; -1 if refused. */
static int
http_spool_write(struct http_spool *sp, size_t n)
{
	struct evbuffer_iovec	 v[16];
	char			*cause = NULL;
	size_t			 done = 0, k;
	int			 i, nv;

	while (done < n) {
		nv = evbuffer_peek(sp->body, (ev_ssize_t)(n - done), NULL, v,
		    16);
		if (nv > 16)
			nv = 16;
		for (i = 0, k = 0; i < nv && done + k < n; i++) {
			if (v[i].iov_len > n - done - k)
				v[i].iov_len = n - done - k;
			if (upload_write(sp->put.up, v[i].iov_base,
			    v[i].iov_len, &cause) != 0) {
				http_spool_refuse(sp, 507, cause);
				free(cause);
				return (-1);
			}
			k += v[i].iov_len;
		}
		evbuffer_drain(sp->body, k);
		done += k;
		sp->put.got += k;
	}
	return (0);
}

/*
 * A line of the chunked framing: 0 and *line (allocated), 1 when it is
 * not whole yet, -1 (refused) when it is longer than any should be.
 */
static int
http_spool_line(struct http_spool *sp, char **line)
{
	size_t	n;

	if ((*line = evbuffer_readln(sp->body, &n, EVBUFFER_EOL_CRLF)) != NULL)
		return (0);
	if (evbuffer_get_length(sp->body) <= HTTP_SPOOL_LINE_MAX)
		return (1);
	http_spool_refuse(sp, 400, "a chunk of its body is not framed as "
	    "chunked encoding says");
	return (-1);
}

/*
 * Body bytes came (appended to sp->body): to the upload, up to the length
 * declared or the last chunk; then the PUT is whole (SPOOL_DROP).
 */
static void
http_spool_body(struct http_spool *sp, struct evbuffer *tail)
{
	uint64_t	 n;
	char		*line, *end, *cause = NULL;
	size_t		 len;
	int		 rc;

	evbuffer_add_buffer(sp->body, tail);
	while (sp->mode == SPOOL_BODY) {
		len = evbuffer_get_length(sp->body);
		switch (sp->chunk) {
		case CHUNK_NONE:
			n = sp->put.declared - sp->put.got;
			if (http_spool_write(sp, n < len ? n : len) != 0)
				return;
			if (sp->put.got == sp->put.declared)
				sp->mode = SPOOL_DROP;
			return;
		case CHUNK_DATA:
			n = sp->chunk_left < len ? sp->chunk_left : len;
			if (http_spool_write(sp, n) != 0)
				return;
			sp->chunk_left -= n;
			if (sp->chunk_left > 0)
				return;
			sp->chunk = CHUNK_DATA_END;
			break;
		case CHUNK_SIZE:
		case CHUNK_DATA_END:
		case CHUNK_TRAILER:
			if ((rc = http_spool_line(sp, &line)) != 0)
				return;
			if (sp->chunk == CHUNK_TRAILER) {
				if (*line == '\0') {
					sp->put.declared = sp->put.got;
					sp->mode = SPOOL_DROP;
				}
			} else if (sp->chunk == CHUNK_DATA_END) {
				if (*line != '\0')
					http_spool_refuse(sp, 400, "a chunk "
					    "of its body is longer than it "
					    "said");
				sp->chunk = CHUNK_SIZE;
			} else {
				n = strtoull(line, &end, 16);
				if (end == line || !isxdigit((u_char)*line) ||
				    (*end != '\0' && *end != ';' &&
				    *end != ' ' && *end != '\t') ||
				    end - line > 15)
					http_spool_refuse(sp, 400, "a chunk "
					    "size of its body is not a "
					    "number");
				else if (sp->put.got + n > sp->max_upload) {
					xasprintf(&cause, "the upload is over "
					    "the limit of %llu bytes",
					    (unsigned long long)
					    sp->max_upload);
					http_spool_refuse(sp, 413, cause);
					free(cause);
				} else if (n == 0)
					sp->chunk = CHUNK_TRAILER;
				else {
					sp->chunk_left = n;
					sp->chunk = CHUNK_DATA;
				}
			}
			free(line);
			break;
		}
	}
}

static void
http_spool_refuse(struct http_spool *sp, int status, const char *cause)
{
	if (sp->put.up != NULL) {
		upload_abort(sp->put.up);
		sp->put.up = NULL;
	}
	sp->put.status = status;
	free(sp->put.cause);
	sp->put.cause = xstrdup(cause);
	sp->mode = SPOOL_DROP;
}

/*
 * After the loop's turn: evhttp is told of input it has not read, if its
 * reading is enabled.  By then evhttp has usually taken the head in the
 * same read and handed the request to its handler; while the reply has not
 * begun (the request held for a TFTP download's events), calling evhttp's
 * read callback finds the connection "writing" and libevent ends the
 * process (evhttp_read_cb: "illegal connection state 7").  An empty input
 * means the head was taken: nothing to tell.
 */
static void
http_spool_kick(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent	*bev = arg;

	(void)fd;
	(void)what;
	if ((bufferevent_get_enabled(bev) & EV_READ) &&
	    evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
	bufferevent_decref(bev);
}

/*
 * The body is on disk (or refused): the rewritten head goes to evhttp,
 * after whatever it has not read yet.  evhttp's read callback follows ours
 * in this same read; the kick is for a read that has nothing left.
 */
static void
http_spool_hand(struct http_spool *sp, struct evbuffer *in)
{
	struct timeval	now = { 0, 0 };

	sp->ours++;
	evbuffer_add(in, sp->head, strlen(sp->head));
	sp->ours--;
	sp->handed = 1;
	/* The bufferevent outlives the connection's record: held till then. */
	bufferevent_incref(sp->bev);
	if (event_base_once(bufferevent_get_base(sp->bev), -1, EV_TIMEOUT,
	    http_spool_kick, sp->bev, &now) != 0)
		bufferevent_decref(sp->bev);
}
