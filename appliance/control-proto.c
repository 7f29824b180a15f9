/*
 * What both ends of the control socket check on every message: the protocol
 * version.  A mismatch is answered with a sentence naming both versions, so a
 * technician with an old console and a new daemon knows what to do.
 */
#include <stdlib.h>

#include <jansson.h>

#include "control.h"
#include "xmalloc.h"

char *
control_version_error(json_t *msg, const char *who)
{
	json_t	*v;
	char	*error;
	int	 daemon_side;

	v = json_object_get(msg, "v");
	if (json_is_integer(v) &&
	    json_integer_value(v) == CONTROL_PROTOCOL_VERSION)
		return (NULL);
	daemon_side = who[0] == 'c';	/* we are the daemon, they the client */
	if (v == NULL) {
		xasprintf(&error, "control protocol version mismatch: the %s "
		    "sent no version, this %s speaks version %d; use a "
		    "ztp-rescue of the same release on both sides", who,
		    daemon_side ? "daemon" : "client",
		    CONTROL_PROTOCOL_VERSION);
	} else if (json_is_integer(v)) {
		xasprintf(&error, "control protocol version mismatch: the %s "
		    "speaks version %lld, this %s speaks version %d; use a "
		    "ztp-rescue of the same release on both sides "
		    "(restart the daemon after an upgrade)", who,
		    (long long)json_integer_value(v),
		    daemon_side ? "daemon" : "client",
		    CONTROL_PROTOCOL_VERSION);
	} else {
		xasprintf(&error, "control protocol version mismatch: the %s "
		    "sent a version that is not a number, this %s speaks "
		    "version %d", who, daemon_side ? "daemon" : "client",
		    CONTROL_PROTOCOL_VERSION);
	}
	return (error);
}
