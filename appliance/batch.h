/*
 * Batch mode's engine (cmd-batch.c): wait for an inventory's phones through
 * the daemon's control socket, then write the report.  `ztp-rescue batch`
 * and `ztp-rescue unattended` both run it, so there is one way to wait.
 */
#ifndef ZTP_BATCH_H
#define ZTP_BATCH_H

#include <stdint.h>

#include <jansson.h>

#include "control.h"

struct batch {
	const char			*state_dir;
	const char			*inventory_path;
	const char			*report_path;
	const char			*verify_via;	/* ZTP check, or NULL */
	int				 verify_pending; /* started, not
							    yet ended */
	/* The daemon's policy to set first (set-policy), or 0 / NULL. */
	unsigned			 max_flashes;
	const char			*unknown_version;
	long				 timeout;
	int				 json;
	int				 only_inventory;
	int				 autostart;
	struct control_inventory	 inv;
	json_t				*phones;	/* mac -> last phone object */
	json_t				*held;		/* macs we asked to hold */
	json_t				*warned;	/* macs warned about a model */
	/* The daemon's CA (sha256, NULL: none) and re-point, at the sync. */
	char				*want_ca;
	char				*want_repoint;
	struct control_client		*cl;
	int64_t				 start;	/* monotonic ms */
	char				*report;	/* where it went */
	int				 stopped_by;	/* SIGINT, SIGTERM or 0 */
	char				*error;		/* why it ended early */
	int				 refused;	/* the daemon refused the
							   policy: no wait */
	int				 daemon_gone;	/* no daemon to ask (it
							   went away, or none
							   answered) */
};

void		 batch_init(struct batch *);
int		 batch_run(struct batch *);
void		 batch_free(struct batch *);
/* Listed phones repointed-quiet (or verified), and failed. */
void		 batch_count(struct batch *, unsigned int *, unsigned int *);
const char	*batch_state(json_t *);

#endif
