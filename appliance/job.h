/*
 * The job file of an unattended recovery (ztp-rescue-job.conf on the
 * stick's ZTPDATA partition): which phones to wait for, the CA to install,
 * where to re-point them, the policy and the time limit.  One "key = value"
 * a line; an unknown key, a key given twice or a bad value is refused with
 * the file, the line and what to do.
 */
#ifndef ZTP_JOB_H
#define ZTP_JOB_H

/* The name the appliance looks for at the root of ZTPDATA. */
#define JOB_FILE_NAME	"ztp-rescue-job.conf"

struct job {
	char	*path;		/* the job file, as given */
	char	*dir;		/* its folder: relative paths start here */
	char	*inventory;	/* the batch inventory CSV (absolute) */
	char	*ca;		/* CA certificate (absolute), NULL: keep */
	char	*repoint;	/* "ztp" or an http(s) URL */
	char	*unknown_version; /* "upgrade" or "hold" */
	unsigned max_flashes;	/* tries at one image; 0: the daemon's */
	int	 only_inventory;
	long	 timeout;	/* seconds */
	char	*dhcp_iface;	/* NULL: no DHCP from the job */
	int	 dhcp_auto;	/* only if no other server answers there */
	char	*dhcp_address;
	unsigned dhcp_vlan;	/* 0: untagged, else DHCP on IFACE.VID */
	char	*report;	/* report base name, in DIR/reports/ */
};

/* Read and check the job file; -1 with *cause "FILE:LINE: reason". */
int	job_load(const char *, struct job *, char **);
void	job_free(struct job *);

#endif
