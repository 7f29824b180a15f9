/*
 * DHCP: a phone run with --dhcp IFACE asks for a lease at every boot, as a
 * phone does, with busybox udhcpc on that interface (the interface's MAC is
 * the one the server sees: give each simulated phone its own interface).
 * It sends option 60 in Polycom's binary RFC 3925 layout and asks for
 * options 66 and 160; option 160 wins over 66 [M].  udhcpc runs a small
 * hook script written here that configures the address and hands the
 * lease's options back in a file.  udhcpc reports option 66 only when it is
 * a plain host name (a URL reads "bad"), so a URL must come by option 160.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phonesim.h"

#define DHCP_HOOK \
	"#!/bin/sh\n" \
	"# phonesim's udhcpc hook: set the address, hand the options back.\n" \
	"case \"$1\" in\n" \
	"deconfig) ip addr flush dev \"$interface\"; ip link set \"$interface\" up ;;\n" \
	"bound|renew)\n" \
	"\tip addr flush dev \"$interface\"\n" \
	"\tip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n" \
	"\t{ echo \"ip=$ip\"; echo \"tftp=$tftp\"; echo \"opt66=$opt66\";\n" \
	"\t  echo \"opt160=$opt160\"; echo \"serverid=$serverid\"; } \\\n" \
	"\t    >\"$PHONESIM_LEASE.tmp\" && mv \"$PHONESIM_LEASE.tmp\" \"$PHONESIM_LEASE\" ;;\n" \
	"esac\n" \
	"exit 0\n"

static void	dhcp_suboption(struct sim_buf *, int, const char *);
static char	*dhcp_option60_hex(struct phone *);
static char	*dhcp_unhex(const char *);
static char	*dhcp_lease_value(const char *, const char *);

static void
dhcp_suboption(struct sim_buf *b, int code, const char *value)
{
	unsigned char	hdr[2];
	size_t		len = strlen(value);

	if (len > 255)
		len = 255;
	hdr[0] = (unsigned char)code;
	hdr[1] = (unsigned char)len;
	sim_buf_add(b, hdr, 2);
	sim_buf_add(b, value, len);
}

/* Enterprise 13885, a length, sub-options 1..5 (reference section 5). */
static char *
dhcp_option60_hex(struct phone *ph)
{
	struct sim_buf	 sub = { NULL, 0, 0 };
	char		*v, *hex;
	size_t		 i;
	unsigned char	 head[5] = { 0x00, 0x00, 0x36, 0x3d, 0 };

	dhcp_suboption(&sub, 1, "Polycom");
	sim_asprintf(&v, "%s-%s", ph->model->family, ph->model->ua_model);
	dhcp_suboption(&sub, 2, v);
	free(v);
	sim_asprintf(&v, "%s,1", ph->part);
	dhcp_suboption(&sub, 3, v);
	free(v);
	sim_asprintf(&v, "SIP/%s/01-Jan-20 00:00", ph->version);
	dhcp_suboption(&sub, 4, v);
	free(v);
	sim_asprintf(&v, "BR/%s/01-Jan-20 00:00", ph->updater);
	dhcp_suboption(&sub, 5, v);
	free(v);
	head[4] = (unsigned char)sub.len;
	hex = sim_malloc((sizeof head + sub.len) * 2 + 1);
	for (i = 0; i < sizeof head; i++)
		sprintf(hex + i * 2, "%02x", head[i]);
	for (i = 0; i < sub.len; i++)
		sprintf(hex + (sizeof head + i) * 2, "%02x",
		    (unsigned char)sub.data[i]);
	sim_buf_free(&sub);
	return (hex);
}

static char *
dhcp_unhex(const char *hex)
{
	char		*out;
	size_t		 i, n = strlen(hex) / 2;
	unsigned int	 byte;

	out = sim_malloc(n + 1);
	for (i = 0; i < n; i++) {
		if (sscanf(hex + i * 2, "%2x", &byte) != 1)
			break;
		out[i] = (char)byte;
	}
	out[i] = '\0';
	return (out);
}

static char *
dhcp_lease_value(const char *lease, const char *key)
{
	const char	*p = lease, *end;
	size_t		 klen = strlen(key);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			end = strchr(p, '\n');
			return (sim_strndup(p, end != NULL ? (size_t)(end - p) :
			    strlen(p)));
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return (NULL);
}

/*
 * One DHCP exchange on ph->dhcp_iface; sets ph->dhcp_server (NULL when the
 * lease named no boot server).  Returns -1 with *cause when no lease came.
 */
int
phone_dhcp(struct phone *ph, char **cause)
{
	char		 dir[] = "/tmp/phonesim-dhcp.XXXXXX";
	char		*hook, *lease, *opt60, *xopt, *text = NULL, *v, *url;
	char		*esc, *envlease, *argv[21];
	char		*envp[] = { NULL,
			    "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	const char	*via = NULL;
	int		 devnull;
	FILE		*fp;
	pid_t		 pid;
	int		 status, rc = -1;
	size_t		 len;

	free(ph->dhcp_server);
	ph->dhcp_server = NULL;
	if (mkdtemp(dir) == NULL)
		sim_fatalx("mkdtemp: %s", strerror(errno));
	sim_asprintf(&hook, "%s/hook", dir);
	sim_asprintf(&lease, "%s/lease", dir);
	if ((fp = fopen(hook, "w")) == NULL)
		sim_fatalx("cannot write %s: %s", hook, strerror(errno));
	fputs(DHCP_HOOK, fp);
	fclose(fp);
	chmod(hook, 0700);
	opt60 = dhcp_option60_hex(ph);
	sim_asprintf(&xopt, "0x3c:%s", opt60);
	sim_asprintf(&envlease, "PHONESIM_LEASE=%s", lease);
	envp[0] = envlease;

	argv[0] = "udhcpc";
	argv[1] = "-f";
	argv[2] = "-q";
	argv[3] = "-n";
	argv[4] = "-t";
	argv[5] = "6";
	argv[6] = "-T";
	argv[7] = "1";
	argv[8] = "-i";
	argv[9] = ph->dhcp_iface;
	argv[10] = "-s";
	argv[11] = hook;
	argv[12] = "-O";
	argv[13] = "66";
	argv[14] = "-O";
	argv[15] = "160";
	argv[16] = "-V";
	argv[17] = "";
	argv[18] = "-x";
	argv[19] = xopt;
	argv[20] = NULL;
	if ((pid = fork()) == -1)
		sim_fatalx("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Only async-signal-safe calls: other threads may hold locks. */
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execve("/usr/sbin/udhcpc", argv, envp);
		execve("/sbin/udhcpc", argv, envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if ((fp = fopen(lease, "r")) != NULL) {
		text = sim_malloc(4096);
		len = fread(text, 1, 4095, fp);
		text[len] = '\0';
		fclose(fp);
	}
	if (text == NULL) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			sim_asprintf(cause, "cannot run udhcpc (Debian udhcpc)");
		else
			sim_asprintf(cause, "no DHCP lease on %s",
			    ph->dhcp_iface);
		sim_transcript_line(&ph->ts, "DHCP %s no lease",
		    ph->dhcp_iface);
		goto out;
	}
	url = NULL;
	v = dhcp_lease_value(text, "opt160");
	if (v != NULL && *v != '\0') {
		url = dhcp_unhex(v);
		via = "option 160";
	}
	free(v);
	if (url == NULL) {
		v = dhcp_lease_value(text, "tftp");
		if (v != NULL && *v != '\0' && strcmp(v, "bad") != 0) {
			if (strstr(v, "://") != NULL)
				url = sim_strdup(v);
			else
				sim_asprintf(&url, "tftp://%s/", v);
			via = "option 66";
		}
		free(v);
	}
	v = dhcp_lease_value(text, "ip");
	if (url != NULL) {
		esc = sim_escape(url, strlen(url));
		sim_transcript_line(&ph->ts, "DHCP %s lease %s boot server %s "
		    "(%s)", ph->dhcp_iface, v != NULL ? v : "?", esc, via);
		free(esc);
		if (strncmp(url, "http://", 7) == 0 ||
		    strncmp(url, "tftp://", 7) == 0)
			ph->dhcp_server = url;
		else {
			sim_transcript_line(&ph->ts, "DHCP boot server "
			    "ignored: not a tftp:// or http:// URL");
			free(url);
		}
	} else {
		sim_transcript_line(&ph->ts, "DHCP %s lease %s no boot server",
		    ph->dhcp_iface, v != NULL ? v : "?");
	}
	free(v);
	rc = 0;
out:
	free(text);
	unlink(lease);
	unlink(hook);
	rmdir(dir);
	free(hook);
	free(lease);
	free(opt60);
	free(xopt);
	free(envlease);
	return (rc);
}
