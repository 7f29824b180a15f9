/*
 * The simulator's own models table (not the appliance's: the two are
 * written apart so a mistake in one shows up against the other).  From the
 * seed notice: token, User-Agent family and model, split-image part number,
 * and the first release whose TLS stack accepts SHA-2 chains, which is the
 * release the seed requires.  SoundStation Duo and SoundStructure have no
 * known part number: they are left out (give --part to simulate one).
 * A token outside the table can still be simulated with --part, to test
 * how a server treats a model it does not know.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "phonesim.h"

static const struct sim_model sim_models[] = {
	{ "SPIP321", "SoundPointIP", "SPIP_321", "2345-12360-001", "4.0.8" },
	{ "SPIP331", "SoundPointIP", "SPIP_331", "2345-12365-001", "4.0.8" },
	{ "SPIP335", "SoundPointIP", "SPIP_335", "2345-12375-001", "4.0.8" },
	{ "SPIP450", "SoundPointIP", "SPIP_450", "2345-12450-001", "4.0.8" },
	{ "SPIP550", "SoundPointIP", "SPIP_550", "2345-12500-001", "4.0.8" },
	{ "SPIP560", "SoundPointIP", "SPIP_560", "2345-12560-001", "4.0.8" },
	{ "SPIP650", "SoundPointIP", "SPIP_650", "2345-12600-001", "4.0.8" },
	{ "SPIP670", "SoundPointIP", "SPIP_670", "2345-12670-001", "4.0.8" },
	{ "SSIP5000", "SoundStationIP", "SSIP_5000", "3111-30900-001", "4.0.8" },
	{ "SSIP6000", "SoundStationIP", "SSIP_6000", "3111-15600-001", "4.0.8" },
	{ "SSIP7000", "SoundStationIP", "SSIP_7000", "3111-40000-001", "4.0.8" },
	{ "SSDuo", "SoundStationIP", "SS_Duo", NULL, "4.0.8" },
	{ "VVX101", "VVX", "VVX_101", "3111-40250-001", "5.4.0" },
	{ "VVX201", "VVX", "VVX_201", "3111-40450-001", "4.1.7" },
	{ "VVX300", "VVX", "VVX_300", "3111-46135-002", "4.1.7" },
	{ "VVX310", "VVX", "VVX_310", "3111-46161-001", "4.1.7" },
	{ "VVX301", "VVX", "VVX_301", "3111-48300-001", "5.4.1" },
	{ "VVX311", "VVX", "VVX_311", "3111-48350-001", "5.4.1" },
	{ "VVX400", "VVX", "VVX_400", "3111-46157-002", "4.1.7" },
	{ "VVX410", "VVX", "VVX_410", "3111-46162-001", "4.1.7" },
	{ "VVX401", "VVX", "VVX_401", "3111-48400-001", "5.4.1" },
	{ "VVX411", "VVX", "VVX_411", "3111-48450-001", "5.4.1" },
	{ "VVX500", "VVX", "VVX_500", "3111-44500-001", "4.1.7" },
	{ "VVX600", "VVX", "VVX_600", "3111-44600-001", "4.1.7" },
	{ "VVX501", "VVX", "VVX_501", "3111-48500-001", "5.4.1" },
	{ "VVX601", "VVX", "VVX_601", "3111-48600-001", "5.4.1" },
	{ "VVX1500", "VVX", "VVX_1500", "2345-17960-001", "4.0.8" },
};

const struct sim_model *
sim_model_find(const char *token)
{
	size_t	i;

	for (i = 0; i < sizeof sim_models / sizeof sim_models[0]; i++) {
		if (strcasecmp(sim_models[i].token, token) == 0)
			return (&sim_models[i]);
	}
	return (NULL);
}

void
sim_model_list(FILE *fp)
{
	size_t	i;

	for (i = 0; i < sizeof sim_models / sizeof sim_models[0]; i++) {
		fprintf(fp, "%s\t%s\t%s\n", sim_models[i].token,
		    sim_models[i].part != NULL ? sim_models[i].part : "-",
		    sim_models[i].sha2_min);
	}
}

/*
 * A model outside the table: "ABC123" with a part number.  The User-Agent
 * family follows the token's letters (SPIP: SoundPointIP, SSIP:
 * SoundStationIP, else the letters themselves), the model inserts "_"
 * before the first digit, and the required release (the first whose TLS
 * takes SHA-2) is sha2_min, or the newest in the table when NULL (--required
 * gives it).  Freed by sim_model_free().
 */
const struct sim_model *
sim_model_custom(const char *token, const char *part, const char *sha2_min)
{
	struct sim_model	*m;
	size_t			 letters = 0;
	char			*family, *ua;

	while (isalpha((unsigned char)token[letters]))
		letters++;
	if (letters == 0 || token[letters] == '\0')
		return (NULL);
	if (strncmp(token, "SPIP", letters) == 0 && letters == 4)
		family = sim_strdup("SoundPointIP");
	else if (strncmp(token, "SSIP", letters) == 0 && letters == 4)
		family = sim_strdup("SoundStationIP");
	else
		family = sim_strndup(token, letters);
	sim_asprintf(&ua, "%.*s_%s", (int)letters, token, token + letters);
	m = sim_calloc(1, sizeof *m);
	m->token = sim_strdup(token);
	m->family = family;
	m->ua_model = ua;
	m->part = sim_strdup(part);
	m->sha2_min = sha2_min != NULL ? sha2_min : "5.4.1";
	return (m);
}

/* Frees a model from sim_model_custom(); the table's own are left alone. */
void
sim_model_free(const struct sim_model *m)
{
	struct sim_model	*own;

	if (m < sim_models ||
	    m >= sim_models + sizeof sim_models / sizeof sim_models[0]) {
		own = (struct sim_model *)m;
		free((char *)own->token);
		free((char *)own->family);
		free((char *)own->ua_model);
		free((char *)own->part);
		free(own);
	}
}
