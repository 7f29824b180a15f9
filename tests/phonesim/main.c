/*
 * phonesim: options and the fleet.  One phone, --fleet N phones with
 * MACs counting up from --mac, or a mixed closet from --closet FILE
 * ("MODEL VERSION MAC [PART]" lines), each phone on its own thread with its
 * own curl handle; exit 0 only when every phone recovered.
 *
 *   phonesim --model VVX410 --version 4.1.4.7430 --mac 0004f2000001
 *       --server http://127.0.0.1:8080/ [--ztp URL] [--ztp-ca PEM]
 *       [--fleet N] [--transcript FILE] [--state FILE] [--fault SPEC]...
 *       [--timeout SECONDS] [--updater VERSION] [--required VERSION]
 *       [--part PART] [--tftp-blksize N] [--tftp-client curl|plain]
 *       [--dhcp IFACE] [--source ADDR]
 *       [--boot-server-static] [--static-ip IFACE=A/N]
 *       [--dhcp-refuse IFACE] [--learn-vlan IFACE]
 *       [--dhcp-decline IFACE] [--decline-wait SECONDS]
 *   phonesim --closet FILE --server URL ... (the same options but the first
 *       three and --fleet)
 *   phonesim ztp-mock --listen ADDR:PORT --cert PEM --key PEM --log FILE
 *   phonesim make-test-pki DIR
 *   phonesim list-models
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <libxml/parser.h>

#include "phonesim.h"

#define SIM_DEFAULT_UPDATER	"5.0.3.1667"
#define SIM_DEFAULT_TIMEOUT	120
#define SIM_FLEET_MAX		1000

struct phone_spec {
	const struct sim_model	*model;
	char			*version;
	uint64_t		 mac;
	char			*part;
};

static void	 usage(void) __attribute__((noreturn));
static struct phone_spec *read_closet(const char *, long *);
static char	*read_file(const char *);
static int	 parse_mac(const char *, uint64_t *);
static void	*phone_thread(void *);

static void
usage(void)
{
	fprintf(stderr, "usage: phonesim --model TOKEN --version VERSION "
	    "--mac MAC [--server URL] [--ztp URL]\n"
	    "\t[--ztp-ca PEM] [--fleet N] [--transcript FILE] [--state FILE]\n"
	    "\t[--fault power-loss-at=BYTES|slow=KBPS|loss=PCT|"
	    "no-return-after-reboot|flash-no-take]\n"
	    "\t[--timeout SECONDS] [--updater VERSION] [--required VERSION]\n"
	    "\t[--part PART] [--tftp-blksize N] [--tftp-client curl|plain]\n"
	    "\t[--dhcp IFACE] [--source ADDR]\n"
	    "\t[--params FILE] [--tag-serial-no] [--lldp-med IFACE] "
	    "[--voice-vlan VID]\n"
	    "\t[--boot-server-static] [--static-ip IFACE=A/N] "
	    "[--dhcp-refuse IFACE]\n\t[--learn-vlan IFACE] "
	    "[--dhcp-decline IFACE] [--decline-wait SECONDS]\n"
	    "       phonesim --closet FILE [--server URL] [--ztp URL] ...\n"
	    "       phonesim ztp-mock --listen ADDR:PORT --cert PEM --key PEM "
	    "--log FILE\n"
	    "       phonesim make-test-pki DIR\n"
	    "       phonesim list-models\n");
	exit(2);
}

static char *
read_file(const char *path)
{
	FILE		*fp;
	struct sim_buf	 b = { NULL, 0, 0 };
	char		 chunk[4096];
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "phonesim: cannot read %s: %s\n", path,
		    strerror(errno));
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		sim_buf_add(&b, chunk, n);
	fclose(fp);
	if (b.data == NULL)
		b.data = sim_strdup("");
	return (b.data);
}

/* "0004f2000001" or "00:04:f2:00:00:01". */
static int
parse_mac(const char *s, uint64_t *mac)
{
	char	hex[SIM_MAC_LEN + 1];
	int	n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ':' || *s == '-')
			continue;
		if (!isxdigit((unsigned char)*s) || n == SIM_MAC_LEN)
			return (-1);
		hex[n++] = (char)tolower((unsigned char)*s);
	}
	if (n != SIM_MAC_LEN)
		return (-1);
	hex[n] = '\0';
	*mac = strtoull(hex, NULL, 16);
	return (0);
}

/* A mixed closet: "MODEL VERSION MAC [PART]" per line, # comments. */
static struct phone_spec *
read_closet(const char *path, long *n)
{
	struct phone_spec	*specs = NULL;
	char			*text, *line, *next, *f[5], *save;
	unsigned long		 vf[4];
	int			 lineno = 0, nf, k;

	text = read_file(path);
	*n = 0;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strchr(line, '#') != NULL)
			*strchr(line, '#') = '\0';
		for (k = 0; k < 5; k++)
			f[k] = strtok_r(k == 0 ? line : NULL, " \t\r", &save);
		if (f[0] == NULL)
			continue;
		specs = sim_realloc(specs, (*n + 1) * sizeof *specs);
		memset(&specs[*n], 0, sizeof specs[*n]);
		if (f[2] == NULL || f[4] != NULL ||
		    ((specs[*n].model = sim_model_find(f[0])) == NULL &&
		    (f[3] == NULL ||
		    (specs[*n].model = sim_model_custom(f[0], f[3], NULL)) ==
		    NULL)) ||
		    sim_version_parse(f[1], vf, &nf) != 0 ||
		    parse_mac(f[2], &specs[*n].mac) != 0 ||
		    (f[3] == NULL && specs[*n].model->part == NULL)) {
			fprintf(stderr, "phonesim: %s:%d: want \"MODEL VERSION "
			    "MAC [PART]\" with a known model (phonesim "
			    "list-models), a four-field version and a MAC\n",
			    path, lineno);
			exit(2);
		}
		specs[*n].version = sim_strdup(f[1]);
		specs[*n].part = sim_strdup(f[3] != NULL ? f[3] :
		    specs[*n].model->part);
		(*n)++;
	}
	free(text);
	if (*n == 0 || *n > SIM_FLEET_MAX) {
		fprintf(stderr, "phonesim: %s: want 1 to %d phones\n", path,
		    SIM_FLEET_MAX);
		exit(2);
	}
	return (specs);
}

static void *
phone_thread(void *arg)
{
	phone_run(arg);
	return (NULL);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "version", required_argument, NULL, 'v' },
		{ "mac", required_argument, NULL, 'a' },
		{ "server", required_argument, NULL, 's' },
		{ "ztp", required_argument, NULL, 'z' },
		{ "ztp-ca", required_argument, NULL, 'c' },
		{ "fleet", required_argument, NULL, 'n' },
		{ "transcript", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 'S' },
		{ "fault", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "updater", required_argument, NULL, 'u' },
		{ "required", required_argument, NULL, 'r' },
		{ "part", required_argument, NULL, 'p' },
		{ "tftp-blksize", required_argument, NULL, 'b' },
		{ "tftp-client", required_argument, NULL, 'K' },
		{ "closet", required_argument, NULL, 'C' },
		{ "dhcp", required_argument, NULL, 'D' },
		{ "source", required_argument, NULL, 'A' },
		{ "params", required_argument, NULL, 'P' },
		{ "tag-serial-no", no_argument, NULL, 'G' },
		{ "lldp-med", required_argument, NULL, 'L' },
		{ "voice-vlan", required_argument, NULL, 'W' },
		{ "boot-server-static", no_argument, NULL, 'O' },
		{ "static-ip", required_argument, NULL, 'I' },
		{ "dhcp-refuse", required_argument, NULL, 'R' },
		{ "learn-vlan", required_argument, NULL, 'N' },
		{ "dhcp-decline", required_argument, NULL, 'E' },
		{ "decline-wait", required_argument, NULL, 'Y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sim_faults	 faults;
	const struct sim_model	*model = NULL;
	struct phone		*phones;
	pthread_t		*threads;
	FILE			*tsfp = stdout;
	const char		*version = NULL, *server = NULL, *ztp = NULL;
	const char		*ztp_ca = NULL, *transcript = NULL;
	const char		*state = NULL, *updater = SIM_DEFAULT_UPDATER;
	const char		*required = NULL, *part = NULL;
	const char		*closet = NULL, *token = NULL;
	const char		*dhcp = NULL, *params = SIM_PARAMS_FILE;
	const char		*lldp = NULL, *static_ip = NULL;
	const char		*refuse = NULL, *learn = NULL;
	const char		*decline = NULL;
	long			 voice_vlan = 0, decline_wait = SIM_DECLINE_WAIT;
	int			 tag_serial = 0, srv_static = 0;
	struct in_addr		 srcbase, src;
	int			 have_source = 0;
	char			 srcbuf[INET_ADDRSTRLEN];
	struct phone_spec	*specs;
	char			*cause, *ca_pem = NULL, *end, *reason;
	uint64_t		 mac = 0;
	long			 fleet = 1, timeout = SIM_DEFAULT_TIMEOUT;
	long			 blksize = 0;
	int			 tftp_plain = 0;
	unsigned long		 vf[4];
	int			 ch, have_mac = 0, i, nf, failed = 0;
	time_t			 deadline;

	if (argc > 1 && strcmp(argv[1], "ztp-mock") == 0)
		return (cmd_ztp_mock(argc - 1, argv + 1));
	if (argc > 1 && strcmp(argv[1], "make-test-pki") == 0)
		return (cmd_make_test_pki(argc - 1, argv + 1));
	if (argc > 1 && strcmp(argv[1], "list-models") == 0) {
		sim_model_list(stdout);
		return (0);
	}

	memset(&faults, 0, sizeof faults);
	faults.power_loss_at = -1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			token = optarg;
			break;
		case 'v':
			version = optarg;
			break;
		case 'a':
			if (parse_mac(optarg, &mac) != 0) {
				fprintf(stderr, "phonesim: '%s' is not a MAC "
				    "address (12 hex digits)\n", optarg);
				exit(2);
			}
			have_mac = 1;
			break;
		case 's':
			server = optarg;
			break;
		case 'z':
			ztp = optarg;
			break;
		case 'P':
			params = optarg;
			break;
		case 'G':
			tag_serial = 1;
			break;
		case 'c':
			ztp_ca = optarg;
			break;
		case 'n':
			fleet = strtol(optarg, &end, 10);
			if (*end != '\0' || fleet < 1 || fleet > SIM_FLEET_MAX) {
				fprintf(stderr, "phonesim: --fleet wants 1 to "
				    "%d phones\n", SIM_FLEET_MAX);
				exit(2);
			}
			break;
		case 't':
			transcript = optarg;
			break;
		case 'S':
			state = optarg;
			break;
		case 'f':
			if (sim_fault_parse(&faults, optarg, &cause) != 0) {
				fprintf(stderr, "phonesim: %s\n", cause);
				free(cause);
				exit(2);
			}
			break;
		case 'T':
			timeout = strtol(optarg, &end, 10);
			if (*end != '\0' || timeout < 1) {
				fprintf(stderr, "phonesim: --timeout wants "
				    "seconds\n");
				exit(2);
			}
			break;
		case 'u':
			updater = optarg;
			break;
		case 'r':
			required = optarg;
			break;
		case 'p':
			part = optarg;
			break;
		case 'C':
			closet = optarg;
			break;
		case 'D':
			dhcp = optarg;
			break;
		case 'L':
			lldp = optarg;
			break;
		case 'O':
			srv_static = 1;
			break;
		case 'I':
			if (strchr(optarg, '=') == NULL ||
			    strchr(optarg, '/') == NULL) {
				fprintf(stderr, "phonesim: --static-ip wants "
				    "IFACE=A.B.C.D/N, not %s\n", optarg);
				exit(2);
			}
			static_ip = optarg;
			break;
		case 'R':
			refuse = optarg;
			break;
		case 'N':
			learn = optarg;
			break;
		case 'E':
			decline = optarg;
			break;
		case 'Y':
			decline_wait = strtol(optarg, &end, 10);
			if (*end != '\0' || decline_wait < 0 ||
			    decline_wait > 3600) {
				fprintf(stderr, "phonesim: --decline-wait wants "
				    "0 to 3600 seconds\n");
				exit(2);
			}
			break;
		case 'W':
			voice_vlan = strtol(optarg, &end, 10);
			if (*end != '\0' || voice_vlan < 1 ||
			    voice_vlan > 4094) {
				fprintf(stderr, "phonesim: --voice-vlan wants "
				    "1 to 4094\n");
				exit(2);
			}
			break;
		case 'A':
			if (inet_pton(AF_INET, optarg, &srcbase) != 1) {
				fprintf(stderr, "phonesim: --source wants an "
				    "IPv4 address\n");
				exit(2);
			}
			have_source = 1;
			break;
		case 'K':
			if (strcmp(optarg, "plain") == 0)
				tftp_plain = 1;
			else if (strcmp(optarg, "curl") == 0)
				tftp_plain = 0;
			else {
				fprintf(stderr, "phonesim: --tftp-client is "
				    "curl or plain\n");
				exit(2);
			}
			break;
		case 'b':
			blksize = strtol(optarg, &end, 10);
			if (*end != '\0' || blksize < 8 || blksize > 65464) {
				fprintf(stderr, "phonesim: --tftp-blksize wants "
				    "8 to 65464\n");
				exit(2);
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (token != NULL && (model = sim_model_find(token)) == NULL &&
	    (part == NULL ||
	    (model = sim_model_custom(token, part, required)) == NULL)) {
		fprintf(stderr, "phonesim: unknown model '%s' (see phonesim "
		    "list-models; give --part to simulate a model outside "
		    "the table)\n", token);
		exit(2);
	}
	if (closet != NULL && (token != NULL || version != NULL || have_mac ||
	    fleet != 1 || part != NULL)) {
		fprintf(stderr, "phonesim: --closet names the phones: no "
		    "--model, --version, --mac, --part or --fleet with it\n");
		exit(2);
	}
	if (closet == NULL && (model == NULL || version == NULL || !have_mac))
		usage();
	if ((version != NULL && sim_version_parse(version, vf, &nf) != 0) ||
	    (required != NULL && sim_version_parse(required, vf, &nf) != 0)) {
		fprintf(stderr, "phonesim: a version is four numbers, like "
		    "4.1.4.7430\n");
		exit(2);
	}
	if (model != NULL && part == NULL && (part = model->part) == NULL) {
		fprintf(stderr, "phonesim: %s has no known part number: give "
		    "--part\n", model->token);
		exit(2);
	}
	if (server == NULL && ztp == NULL && dhcp == NULL && refuse == NULL &&
	    learn == NULL && decline == NULL) {
		fprintf(stderr, "phonesim: give --server, --dhcp, --ztp or "
		    "several\n");
		exit(2);
	}
	if (server != NULL && strncmp(server, "tftp://", 7) != 0 &&
	    strncmp(server, "http://", 7) != 0) {
		fprintf(stderr, "phonesim: --server must be a tftp:// or "
		    "http:// URL\n");
		exit(2);
	}
	if (ztp_ca != NULL)
		ca_pem = read_file(ztp_ca);
	if (transcript != NULL && (tsfp = fopen(transcript, "w")) == NULL) {
		fprintf(stderr, "phonesim: cannot write %s: %s\n", transcript,
		    strerror(errno));
		exit(2);
	}

	if (closet != NULL)
		specs = read_closet(closet, &fleet);
	else {
		specs = sim_calloc(fleet, sizeof *specs);
		for (i = 0; i < fleet; i++) {
			specs[i].model = model;
			specs[i].version = sim_strdup(version);
			specs[i].mac = (mac + i) & 0xffffffffffffULL;
			specs[i].part = sim_strdup(part);
		}
	}

	/*
	 * Phones in a closet have an address each, and a server may tell them
	 * apart by it: on a loopback server, a fleet gets 127.0.1.1 upwards.
	 */
	if (!have_source && fleet > 1 && dhcp == NULL && server != NULL &&
	    (strstr(server, "://127.") != NULL ||
	    strstr(server, "://localhost") != NULL)) {
		inet_pton(AF_INET, "127.0.1.1", &srcbase);
		have_source = 1;
	}

	sim_rules_load(params);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
	deadline = time(NULL) + timeout;
	phones = sim_calloc(fleet, sizeof *phones);
	threads = sim_calloc(fleet, sizeof *threads);
	for (i = 0; i < fleet; i++) {
		struct phone	*ph = &phones[i];

		phone_init(ph);
		snprintf(ph->mac, sizeof ph->mac, "%012llx",
		    (unsigned long long)specs[i].mac);
		memcpy(ph->ts.mac, ph->mac, sizeof ph->ts.mac);
		ph->ts.live = fleet == 1 && closet == NULL ? tsfp : NULL;
		ph->model = specs[i].model;
		ph->part = specs[i].part;
		ph->version = specs[i].version;
		ph->updater = sim_strdup(updater);
		ph->required = sim_strdup(required != NULL ? required :
		    ph->model->sha2_min);
		ph->server = server != NULL ? sim_strdup(server) : NULL;
		ph->ztp = ztp != NULL ? sim_strdup(ztp) : NULL;
		ph->ztp_ca = ca_pem != NULL ? sim_strdup(ca_pem) : NULL;
		ph->tftp_blksize = (int)blksize;
		ph->tftp_plain = tftp_plain;
		if (have_source) {
			src.s_addr = htonl(ntohl(srcbase.s_addr) + (uint32_t)i);
			inet_ntop(AF_INET, &src, srcbuf, sizeof srcbuf);
			ph->source = sim_strdup(srcbuf);
		}
		if (dhcp != NULL && strstr(dhcp, "%d") != NULL)
			sim_asprintf(&ph->dhcp_iface, "%.*s%d%s",
			    (int)(strstr(dhcp, "%d") - dhcp), dhcp, i,
			    strstr(dhcp, "%d") + 2);
		else if (dhcp != NULL)
			ph->dhcp_iface = sim_strdup(dhcp);
		ph->lldp_iface = lldp != NULL ? sim_strdup(lldp) : NULL;
		ph->lldp_vlan = (int)voice_vlan;
		ph->static_ip = static_ip != NULL ? sim_strdup(static_ip) :
		    NULL;
		ph->refuse_iface = refuse != NULL ? sim_strdup(refuse) : NULL;
		ph->learn_iface = learn != NULL ? sim_strdup(learn) : NULL;
		ph->decline_iface = decline != NULL ? sim_strdup(decline) :
		    NULL;
		ph->decline_wait = (int)decline_wait;
		ph->deadline = deadline;
		ph->faults = faults;
		ph->faults.rng = specs[i].mac * 0x9e3779b97f4a7c15ULL + 1;
		if (state != NULL && fleet == 1 && closet == NULL)
			ph->state_path = sim_strdup(state);
		else if (state != NULL)
			sim_asprintf(&ph->state_path, "%s.%s", state, ph->mac);
		if (phone_load_state(ph, &cause) != 0) {
			fprintf(stderr, "phonesim: %s\n", cause);
			exit(2);
		}
		/* device.prov.tagSerialNo: (SN:<mac>) in the User-Agent. */
		if (tag_serial)
			sim_params_set(&ph->device, "device.prov.tagSerialNo",
			    "1");
		/* A stored boot server: DHCP's options 66/160 are ignored. */
		if (srv_static)
			sim_params_set(&ph->device,
			    "device.dhcp.bootSrvUseOpt", "Static");
		ph->version_before = sim_strdup(ph->version);
		phone_log(ph, "so", "Application, main: Application Name: "
		    "SIP, Version: %s", ph->version);
		if (pthread_create(&threads[i], NULL, phone_thread, ph) != 0)
			sim_fatalx("cannot start a thread for phone %d", i);
	}
	for (i = 0; i < fleet; i++)
		pthread_join(threads[i], NULL);

	for (i = 0; i < fleet; i++) {
		if (phones[i].ts.live == NULL &&
		    phones[i].ts.saved.data != NULL) {
			fprintf(tsfp, "# phone %s %s\n", phones[i].mac,
			    phones[i].model->token);
			fputs(phones[i].ts.saved.data, tsfp);
		}
	}
	fflush(tsfp);
	for (i = 0; i < fleet; i++) {
		if (!phones[i].ok) {
			failed++;
			reason = sim_printable(phones[i].fail != NULL ?
			    phones[i].fail : "did not recover");
			fprintf(stderr, "%s %s: %s\n", phones[i].model->token,
			    phones[i].mac, reason);
			free(reason);
		}
		phone_report_json(&phones[i], stdout);
		if (closet != NULL || i == fleet - 1)
			sim_model_free(phones[i].model);
		phone_free(&phones[i]);
	}
	if (tsfp != stdout)
		fclose(tsfp);
	free(phones);
	free(threads);
	free(specs);
	free(ca_pem);
	sim_rules_free();
	xmlCleanupParser();
	curl_global_cleanup();
	return (failed == 0 ? 0 : 1);
}
