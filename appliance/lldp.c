/*
 * lldpd and lldpcli for the voice VLAN: see lldp.h.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lldp.h"
#include "xmalloc.h"

#define LLDP_OUTPUT_MAX	(256 * 1024)

static void
lldp_copy(char *out, size_t size, const char *v, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; i < len && n + 1 < size; i++)
		out[n++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
	out[n] = '\0';
}

int
lldp_parse_keyvalue(const char *text, const char *iface,
    struct lldp_voice *out)
{
	const char	*p, *eol, *eq, *key;
	char		 prefix[64], value[64];
	size_t		 plen, klen;
	int		 found = 0, voice = 0;
	char		 chassis_id[64] = "", port_descr[64] = "";

	memset(out, 0, sizeof *out);
	out->vlan = out->native_vlan = -1;
	plen = (size_t)snprintf(prefix, sizeof prefix, "lldp.%s.", iface);
	if (plen >= sizeof prefix)
		return (0);
	for (p = text; *p != '\0'; p = *eol == '\0' ? eol : eol + 1) {
		eol = p + strcspn(p, "\n");
		if ((size_t)(eol - p) <= plen || strncmp(p, prefix, plen) != 0 ||
		    (eq = memchr(p, '=', eol - p)) == NULL)
			continue;
		key = p + plen;
		klen = eq - key;
		lldp_copy(value, sizeof value, eq + 1, eol - eq - 1);
		found = 1;
#define KEY(k)	(klen == sizeof(k) - 1 && strncmp(key, k, klen) == 0)
		if (KEY("via"))
			snprintf(out->via, sizeof out->via, "%s",
			    strncmp(value, "CDP", 3) == 0 ? "CDP" : "LLDP");
		else if (KEY("chassis.name"))
			snprintf(out->chassis, sizeof out->chassis, "%s",
			    value);
		else if (KEY("chassis.mac") || KEY("chassis.local"))
			snprintf(chassis_id, sizeof chassis_id, "%s", value);
		else if (KEY("port.descr"))
			snprintf(port_descr, sizeof port_descr, "%s", value);
		else if (KEY("port.ifname") || KEY("port.local"))
			snprintf(out->port, sizeof out->port, "%s", value);
		else if (KEY("lldp-med.policy.apptype"))
			voice = strcmp(value, "Voice") == 0;
		else if (KEY("lldp-med.policy.vlan.vid") && voice)
			out->vlan = atoi(value);
		else if (KEY("vlan.vlan-id") || KEY("port.vlan.vlan-id"))
			out->native_vlan = atoi(value);
#undef KEY
	}
	if (!found)
		return (0);
	if (out->chassis[0] == '\0')
		snprintf(out->chassis, sizeof out->chassis, "%s", chassis_id);
	if (out->port[0] == '\0')
		snprintf(out->port, sizeof out->port, "%s", port_descr);
	if (out->vlan >= 0 && strcmp(out->via, "LLDP") == 0)
		snprintf(out->via, sizeof out->via, "LLDP-MED");
	return (1);
}

char *
lldp_describe(const struct lldp_voice *v)
{
	char	*text;

	if (v->vlan >= 0)
		xasprintf(&text, "voice vlan %d (%s from switch %s, port %s)",
		    v->vlan, v->via, v->chassis[0] != '\0' ? v->chassis : "?",
		    v->port[0] != '\0' ? v->port : "?");
	else if (v->native_vlan >= 0)
		xasprintf(&text, "no voice vlan offered; native vlan %d (%s "
		    "from switch %s, port %s)", v->native_vlan, v->via,
		    v->chassis[0] != '\0' ? v->chassis : "?",
		    v->port[0] != '\0' ? v->port : "?");
	else
		xasprintf(&text, "no voice vlan offered (%s from switch %s, "
		    "port %s)", v->via[0] != '\0' ? v->via : "LLDP",
		    v->chassis[0] != '\0' ? v->chassis : "?",
		    v->port[0] != '\0' ? v->port : "?");
	return (text);
}

pid_t
lldp_spawn(const char *lldpd, const char *sock, const char *iface,
    char **cause)
{
	pid_t	pid;
	int	fd;

	if (lldpd == NULL)
		lldpd = "lldpd";
	unlink(sock);
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		return (-1);
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/*
		 * -d: in the foreground, our child.  -M 1: an LLDP-MED
		 * endpoint (class I), so that the switch sends its network
		 * policy.  -c: CDP too.  -I: this interface only.
		 */
		execlp(lldpd, lldpd, "-d", "-u", sock, "-I", iface, "-M", "1",
		    "-c", (char *)NULL);
		_exit(127);
	}
	return (pid);
}

void
lldp_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

int
lldp_query(const char *sock, const char *iface, struct lldp_voice *out,
    char **cause)
{
	int	 pfd[2], status, fd;
	pid_t	 pid;
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 rc;

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return (-1);
	}
	if ((pid = fork()) == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return (-1);
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		if ((fd = open("/dev/null", O_RDWR)) != -1)
			dup2(fd, 2);
		execlp("lldpcli", "lldpcli", "-u", sock, "show", "neighbors",
		    "ports", iface, "details", "-f", "keyvalue", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	buf = xmalloc(LLDP_OUTPUT_MAX + 1);
	while (len < LLDP_OUTPUT_MAX && (n = read(pfd[0], buf + len,
	    LLDP_OUTPUT_MAX - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += n;
	}
	buf[len] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		xasprintf(cause, "lldpcli failed (%s); is lldpd installed and "
		    "running on %s?", WIFEXITED(status) && WEXITSTATUS(status) ==
		    127 ? "not found" : "no answer", iface);
		free(buf);
		return (-1);
	}
	rc = lldp_parse_keyvalue(buf, iface, out);
	free(buf);
	return (rc);
}
