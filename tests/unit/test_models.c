/* The models table: the seed's rows, the strict loader, override files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "models.h"

/* The seed notice's required versions, row by row (token, name, part). */
static const struct {
	const char	*token;
	const char	*name;
	const char	*part;
	const char	*target;
} seed_rows[] = {
	{ "SSIP5000", "SoundStation IP 5000", "3111-30900-001", "4.0.8H" },
	{ "SSIP6000", "SoundStation IP 6000", "3111-15600-001", "4.0.8H" },
	{ "SSIP7000", "SoundStation IP 7000", "3111-40000-001", "4.0.8H" },
	{ "SSIP7000", "SoundStation IP 7000 (HDX models)", "3111-40000-001",
	  "4.0.8H" },
	{ "SSDuo", "SoundStation Duo", NULL, "4.0.8H" },
	{ NULL, "SoundStructure VoIP Interface Card", "3111-33215-001",
	  "4.0.8H" },
	{ "SPIP321", "SoundPoint IP 321", "2345-12360-001", "4.0.8H" },
	{ "SPIP331", "SoundPoint IP 331", "2345-12365-001", "4.0.8H" },
	{ "SPIP335", "SoundPoint IP 335", "2345-12375-001", "4.0.8H" },
	{ "SPIP450", "SoundPoint IP 450", "2345-12450-001", "4.0.8H" },
	{ "SPIP550", "SoundPoint IP 550", "2345-12500-001", "4.0.8H" },
	{ "SPIP560", "SoundPoint IP 560", "2345-12560-001", "4.0.8H" },
	{ "SPIP650", "SoundPoint IP 650", "2345-12600-001", "4.0.8H" },
	{ "SPIP670", "SoundPoint IP 670", "2345-12670-001", "4.0.8H" },
	{ "VVX101", "VVX 101", "3111-40250-001", "5.4.0" },
	{ "VVX201", "VVX 201", "3111-40450-001", "4.1.7G" },
	{ "VVX300", "VVX 300", "3111-46135-002", "4.1.7G" },
	{ "VVX301", "VVX 301", "3111-48300-001", "5.4.1" },
	{ "VVX310", "VVX 310", "3111-46161-001", "4.1.7G" },
	{ "VVX311", "VVX 311", "3111-48350-001", "5.4.1" },
	{ "VVX400", "VVX 400", "3111-46157-002", "4.1.7G" },
	{ "VVX401", "VVX 401", "3111-48400-001", "5.4.1" },
	{ "VVX410", "VVX 410", "3111-46162-001", "4.1.7G" },
	{ "VVX411", "VVX 411", "3111-48450-001", "5.4.1" },
	{ "VVX500", "VVX 500", "3111-44500-001", "4.1.7G" },
	{ "VVX501", "VVX 501", "3111-48500-001", "5.4.1" },
	{ "VVX600", "VVX 600", "3111-44600-001", "4.1.7G" },
	{ "VVX601", "VVX 601", "3111-48600-001", "5.4.1" },
	{ "VVX1500", "VVX 1500/1500D/1500G", "2345-17960-001", "4.0.8H" },
};
#define SEED_ROWS (sizeof seed_rows / sizeof seed_rows[0])

static char	tmpdir[] = "/tmp/test_models.XXXXXX";

static int
setup_dir(void **state)
{
	return (mkdtemp(tmpdir) == NULL ? -1 : 0);
}

static int
teardown_dir(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return (system(cmd) == 0 ? 0 : -1);
}

static const char *
target_text(const struct model *m)
{
	static char	buf[UCS_VERSION_TEXT_MAX];

	return (ucs_version_format_release(&m->target, buf, sizeof buf));
}

/* Write an override file and return its path (static buffer). */
static const char *
write_file(const char *name, const char *text, size_t len)
{
	static char	 path[256];
	FILE		*f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return (path);
}

static struct model_table *
load(void)
{
	struct model_table	*t;
	char			*cause = NULL;

	t = model_table_load_default(&cause);
	if (t == NULL)
		fail_msg("default table refused: %s", cause);
	return (t);
}

static void
test_every_seed_row(void **state)
{
	struct model_table	*t = load();
	const struct model	*m;
	size_t			 i;

	assert_int_equal(t->count, SEED_ROWS);
	for (i = 0; i < SEED_ROWS; i++) {
		m = &t->models[i];
		if (seed_rows[i].token == NULL)
			assert_null(m->token);
		else
			assert_string_equal(m->token, seed_rows[i].token);
		assert_string_equal(m->name, seed_rows[i].name);
		if (seed_rows[i].part == NULL)
			assert_null(m->part);
		else
			assert_string_equal(m->part, seed_rows[i].part);
		assert_string_equal(target_text(m), seed_rows[i].target);
		assert_string_equal(m->target_source, "seed");
	}
	model_table_free(t);
}

static void
test_families_and_notes(void **state)
{
	struct model_table	*t = load();
	const struct model	*m;

	assert_string_equal(model_by_token(t, "SPIP670")->family,
	    "SoundPointIP");
	assert_string_equal(model_by_token(t, "VVX410")->family, "VVX");
	assert_string_equal(model_by_token(t, "SSIP6000")->family,
	    "SoundStationIP");
	m = model_by_part(t, "3111-33215-001");
	assert_string_equal(m->family, "SoundStructure");
	assert_non_null(strstr(m->note, "[L]"));
	assert_non_null(strstr(model_by_token(t, "SSDuo")->note, "[M]"));
	assert_non_null(strstr(model_by_token(t, "SPIP321")->note, "4.08H"));
	assert_non_null(strstr(model_by_token(t, "VVX201")->note, "5.4.0"));
	assert_string_equal(model_by_token(t, "SPIP670")->note, "");
	model_table_free(t);
}

static void
test_lookup(void **state)
{
	struct model_table	*t = load();
	const struct model	*m;

	m = model_by_token(t, "SSIP7000");
	assert_string_equal(m->name, "SoundStation IP 7000");
	m = model_by_part(t, "2345-12670-001");
	assert_string_equal(m->token, "SPIP670");
	m = model_by_part(t, "3111-46162-001");
	assert_string_equal(m->token, "VVX410");
	assert_null(model_by_token(t, "spip670"));
	assert_null(model_by_token(t, "SPIP601"));
	assert_null(model_by_token(t, "unknown"));
	assert_null(model_by_token(t, NULL));
	assert_null(model_by_part(t, "unknown"));
	assert_null(model_by_part(t, "2345-12670-00"));
	assert_null(model_by_part(t, NULL));
	model_table_free(t);
}

static void
check_table_refused(const char *text, const char *want)
{
	struct model_table	*t;
	char			*cause = NULL;

	t = model_table_parse(text, strlen(text), "t.tsv", &cause);
	assert_null(t);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
test_table_format(void **state)
{
	const char		*text = "# comment\n\n"
				    "SPIP670\tSoundPoint IP 670\tSoundPointIP\t"
				    "2345-12670-001\t4.0.8H\r\n"
				    "unknown\tThing\tVVX\tunknown\t5.4.1\tn\n";
	struct model_table	*t;
	char			*cause = NULL;

	t = model_table_parse(text, strlen(text), "t.tsv", &cause);
	assert_non_null(t);
	assert_int_equal(t->count, 2);
	assert_string_equal(t->models[0].note, "");
	assert_string_equal(target_text(&t->models[0]), "4.0.8H");
	assert_null(t->models[1].token);
	assert_null(t->models[1].part);
	assert_string_equal(t->models[1].note, "n");
	model_table_free(t);
}

static void
test_table_malformed(void **state)
{
	const char	*row = "SPIP670\tSoundPoint IP 670\tSoundPointIP\t"
			    "2345-12670-001\t4.0.8H\t\n";
	char		 text[512];

	check_table_refused("", "t.tsv: no models in the table");
	check_table_refused("# only\n\n", "t.tsv: no models in the table");
	check_table_refused("# c\nSPIP670 SoundPoint IP 670\n",
	    "t.tsv:2: 1 column, expected 6 separated by TABs (token, name, "
	    "family, part, target, note)");
	check_table_refused("a\tb\tc\td\n",
	    "t.tsv:1: 4 columns, expected 6 separated by TABs (token, name, "
	    "family, part, target, note)");
	check_table_refused("A\tB\tC\tunknown\t4.0.8\tn\textra\n",
	    "t.tsv:1: more than 6 TAB-separated columns (token, name, "
	    "family, part, target, note)");
	check_table_refused("SP-IP\tB\tC\tunknown\t4.0.8\t\n",
	    "t.tsv:1: token 'SP-IP' is not up to 31 letters and digits "
	    "(or 'unknown')");
	check_table_refused("\tB\tC\tunknown\t4.0.8\t\n",
	    "t.tsv:1: token '' is not up to 31 letters and digits "
	    "(or 'unknown')");
	check_table_refused("A\t\tC\tunknown\t4.0.8\t\n",
	    "t.tsv:1: the name is empty");
	check_table_refused("A\tB\tSound Point\tunknown\t4.0.8\t\n",
	    "t.tsv:1: family 'Sound Point' is not a word such as "
	    "SoundPointIP or VVX");
	check_table_refused("A\tB\tC\t2345-1267-001\t4.0.8\t\n",
	    "t.tsv:1: part number '2345-1267-001' is not like "
	    "2345-12670-001 (or 'unknown')");
	check_table_refused("A\tB\tC\t\t4.0.8\t\n",
	    "t.tsv:1: part number '' is not like 2345-12670-001 "
	    "(or 'unknown')");
	check_table_refused("A\tB\tC\tunknown\tlatest\t\n",
	    "t.tsv:1: target version 'latest' has a non-numeric field; "
	    "expected a UC Software version such as 4.0.8H or 4.1.7.5432");
	check_table_refused("A\tB\x01\tC\tunknown\t4.0.8\t\n",
	    "t.tsv:1: column 2 has a control character");

	snprintf(text, sizeof text, "%s%s", row,
	    "SPIP670\tother\tSoundPointIP\t2345-12670-001\t4.0.9\t\n");
	check_table_refused(text, "t.tsv:2: token SPIP670 is also on line 1 "
	    "with a different part or target");
	snprintf(text, sizeof text, "%s%s", row,
	    "SPIP671\tother\tSoundPointIP\t2345-12670-001\t4.0.8H\t\n");
	check_table_refused(text, "t.tsv:2: part 2345-12670-001 is also on "
	    "line 1 for another model");
	/* The same model twice, agreeing, is the seed's HDX row: allowed. */
	snprintf(text, sizeof text, "%s%s", row,
	    "SPIP670\tHDX\tSoundPointIP\t2345-12670-001\t4.0.8H\t\n");
	{
		struct model_table	*t;
		char			*cause = NULL;

		t = model_table_parse(text, strlen(text), "t.tsv", &cause);
		assert_non_null(t);
		assert_int_equal(t->count, 2);
		model_table_free(t);
	}
}

static void
test_table_nul_byte(void **state)
{
	const char	 text[] = "# x\nA\tB\0\tC\tunknown\t4.0.8\t\n";
	char		*cause = NULL;

	assert_null(model_table_parse(text, sizeof text - 1, "t.tsv",
	    &cause));
	assert_string_equal(cause, "t.tsv:2: contains a NUL byte");
	free(cause);
}

static void
test_override_applied(void **state)
{
	struct model_table	*t = load();
	const char		*text = "# site targets\n"
				    "VVX201\t5.4.0\n"
				    "  SPIP670   4.0.15.1047   # TLS 1.2\n"
				    "\n"
				    "3111-33215-001 4.0.9\r\n"
				    "SSIP7000\t4.0.8G\n";
	const char		*path;
	char			*cause = NULL, want[300];
	size_t			 i, hits = 0;

	path = write_file("good.cfg", text, strlen(text));
	if (model_table_apply_overrides(t, path, &cause) != 0)
		fail_msg("refused: %s", cause);

	assert_string_equal(target_text(model_by_token(t, "VVX201")), "5.4.0");
	snprintf(want, sizeof want, "%s:2", path);
	assert_string_equal(model_by_token(t, "VVX201")->target_source, want);
	assert_string_equal(target_text(model_by_token(t, "SPIP670")),
	    "4.0.15.1047");
	snprintf(want, sizeof want, "%s:3", path);
	assert_string_equal(model_by_token(t, "SPIP670")->target_source, want);
	assert_string_equal(target_text(model_by_part(t, "3111-33215-001")),
	    "4.0.9");
	snprintf(want, sizeof want, "%s:6", path);
	for (i = 0; i < t->count; i++) {
		if (t->models[i].token != NULL &&
		    strcmp(t->models[i].token, "SSIP7000") == 0) {
			assert_string_equal(t->models[i].target_source, want);
			assert_string_equal(target_text(&t->models[i]),
			    "4.0.8G");
			hits++;
		}
	}
	assert_int_equal(hits, 2);
	/* Untouched rows keep the seed's target. */
	assert_string_equal(target_text(model_by_token(t, "VVX101")), "5.4.0");
	assert_string_equal(model_by_token(t, "VVX101")->target_source,
	    "seed");
	model_table_free(t);
}

/*
 * Saved by Notepad as UTF-8: a byte order mark first.  It was read as part
 * of the first token ("unknown model '\xef\xbb\xbfVVX201'").
 */
static void
test_override_bom(void **state)
{
	struct model_table	*t = load();
	const char		*text = "\xef\xbb\xbfVVX201 5.4.0\r\n"
				    "VVX301\t5.4.0\r\n";
	const char		*path;
	char			*cause = NULL;

	path = write_file("bom.cfg", text, strlen(text));
	if (model_table_apply_overrides(t, path, &cause) != 0)
		fail_msg("refused: %s", cause);
	assert_string_equal(target_text(model_by_token(t, "VVX201")), "5.4.0");
	assert_string_equal(target_text(model_by_token(t, "VVX301")), "5.4.0");
	model_table_free(t);
}

static void
check_override_refused(const char *name, const char *text, size_t len,
    int line, const char *why)
{
	struct model_table	*t = load();
	const char		*path;
	char			*cause = NULL, want[512];
	size_t			 i;

	path = write_file(name, text, len == 0 ? strlen(text) : len);
	assert_int_equal(model_table_apply_overrides(t, path, &cause), -1);
	assert_non_null(cause);
	snprintf(want, sizeof want, "%s:%d: %s", path, line, why);
	assert_string_equal(cause, want);
	free(cause);
	/* Refused whole: nothing of the file was applied. */
	for (i = 0; i < t->count; i++)
		assert_string_equal(t->models[i].target_source, "seed");
	model_table_free(t);
}

static void
test_override_errors(void **state)
{
	const char	nul[] = "VVX201 5.4.0\nVVX\0 5.4.0\n";

	check_override_refused("unknown.cfg", "VVX201 5.4.0\nVVX999 5.4.1\n",
	    0, 2, "unknown model 'VVX999'; 'ztp-rescue models' lists the "
	    "tokens and part numbers");
	check_override_refused("case.cfg", "# x\nvvx201 5.4.0\n", 0, 2,
	    "unknown model 'vvx201' (did you mean VVX201?)");
	check_override_refused("version.cfg", "VVX201 5.4.0\nSPIP670 latest\n",
	    0, 2, "version 'latest' has a non-numeric field; expected a UC "
	    "Software version such as 4.0.8H or 4.1.7.5432");
	check_override_refused("one.cfg", "VVX201\n", 0, 1,
	    "expected a model and a version (e.g. 'VVX201 5.4.0'), found one "
	    "word");
	check_override_refused("three.cfg", "\n\nVVX201 5.4.0 now\n", 0, 3,
	    "expected a model and a version (e.g. 'VVX201 5.4.0'), found more "
	    "than two words");
	check_override_refused("twice.cfg", "VVX201 5.4.0\n# c\nVVX201 5.4.1\n",
	    0, 3, "VVX201 was already given on line 1");
	check_override_refused("partdup.cfg",
	    "SPIP670 4.0.9\n2345-12670-001 4.0.9\n", 0, 2,
	    "2345-12670-001 was already given on line 1");
	check_override_refused("nul.cfg", nul, sizeof nul - 1, 2,
	    "contains a NUL byte");
	check_override_refused("escape.cfg", "\x1b[2J 5.4.0\n", 0, 1,
	    "unknown model '\\x1b[2J'; 'ztp-rescue models' lists the tokens "
	    "and part numbers");
}

static void
test_override_missing_file(void **state)
{
	struct model_table	*t = load();
	char			*cause = NULL, want[300];

	snprintf(want, sizeof want, "%s/absent.cfg", tmpdir);
	assert_int_equal(model_table_apply_overrides(t, want, &cause), -1);
	snprintf(want, sizeof want, "cannot open the override file "
	    "%s/absent.cfg: No such file or directory", tmpdir);
	assert_string_equal(cause, want);
	free(cause);
	model_table_free(t);
}

static void
test_override_empty_file_is_no_change(void **state)
{
	struct model_table	*t = load();
	const char		*path;
	char			*cause = NULL;

	path = write_file("empty.cfg", "# nothing yet\n", 14);
	assert_int_equal(model_table_apply_overrides(t, path, &cause), 0);
	assert_string_equal(model_by_token(t, "VVX201")->target_source,
	    "seed");
	model_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_seed_row),
		cmocka_unit_test(test_families_and_notes),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_table_format),
		cmocka_unit_test(test_table_malformed),
		cmocka_unit_test(test_table_nul_byte),
		cmocka_unit_test(test_override_applied),
		cmocka_unit_test(test_override_bom),
		cmocka_unit_test(test_override_errors),
		cmocka_unit_test(test_override_missing_file),
		cmocka_unit_test(test_override_empty_file_is_no_change),
	};

	return (cmocka_run_group_tests_name("models", tests, setup_dir,
	    teardown_dir));
}
