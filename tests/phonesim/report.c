/*
 * What the phone says about itself at the end, one JSON line, for tests to
 * compare with the appliance's report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phonesim.h"

void
phone_report_json(struct phone *ph, FILE *fp)
{
	const char	*target = phone_target(ph, NULL);
	char		*s[10];
	int		 i;

	s[0] = sim_json_string(ph->mac);
	s[1] = sim_json_string(ph->model->token);
	s[2] = sim_json_string(ph->part);
	s[3] = sim_json_string(ph->version_before);
	s[4] = sim_json_string(ph->version);
	s[5] = sim_json_string(ph->ca_sha256);
	s[6] = sim_json_string(target);
	s[7] = sim_json_string(ph->ok ? NULL : ph->fail);
	s[8] = sim_json_string(ph->handoff);
	s[9] = sim_json_string(ph->ignored.len > 0 ? ph->ignored.data : NULL);
	fprintf(fp, "{\"mac\":%s,\"model\":%s,\"part\":%s,"
	    "\"version_before\":%s,\"version_after\":%s,\"ca_sha256\":%s,"
	    "\"target\":%s,\"handoff\":%s,\"reached_ztp\":%s,\"boots\":%d,"
	    "\"recovered\":%s,\"reason\":%s,\"ignored\":%s}\n", s[0], s[1],
	    s[2], s[3], s[4], s[5], s[6], s[8], ph->reached_ztp ? "true" :
	    "false", ph->boots, ph->ok ? "true" : "false", s[7], s[9]);
	for (i = 0; i < 10; i++)
		free(s[i]);
}
