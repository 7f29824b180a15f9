/*
 * Names from sticks and certificate subjects on their way to tty1 and the
 * serial port: C0, DEL, C1 (U+009B CSI) and malformed UTF-8 become '?',
 * everything a terminal shows stays; the same for JSON the console receives
 * and for every log line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "log.h"
#include "termsafe.h"

static void
same(const char *in, const char *want)
{
	char	*out = termsafe(in, strlen(in));

	assert_string_equal(out, want);
	assert_int_equal(termsafe_clean(in, strlen(in)), strcmp(in, want) == 0);
	free(out);
}

static void
test_controls(void **state)
{
	(void)state;
	same("plain name.zip", "plain name.zip");
	same("a\033[2Jb", "a?[2Jb");			/* ESC */
	same("bell\007 del\177", "bell? del?");
	same("tab\tnl\ncr\r", "tab?nl?cr?");
	same("csi\xc2\x9b" "2J", "csi?2J");		/* U+009B as UTF-8 */
	same("osc\xc2\x9d" "0;x\xc2\x9c", "osc?0;x?");
	same("lone\x9b" "2J", "lone?2J");		/* raw 0x9b */
	same("\xc2\x80\xc2\x9f", "??");		/* first and last C1 */
}

static void
test_kept(void **state)
{
	(void)state;
	same("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e");
	same("\xc2\xa0nbsp", "\xc2\xa0nbsp");		/* U+00A0: not C1 */
}

static void
test_malformed(void **state)
{
	(void)state;
	same("\xc0\x9b", "??");				/* overlong CSI */
	same("\xe0\x82\x9b", "???");			/* overlong, 3 bytes */
	same("\xed\xa0\x80", "???");			/* surrogate */
	same("cut\xe2\x82", "cut??");			/* truncated */
	same("\xf8\x88\x80\x80\x80", "?????");
}

static void
test_embedded_nul(void **state)
{
	char	*out;

	(void)state;
	out = termsafe("a\0b", 3);
	assert_memory_equal(out, "a?b", 4);
	free(out);
}

static void
test_json(void **state)
{
	json_t	*v;

	(void)state;
	v = json_pack("{s:s, s:[s, {s:s}], s:i}", "subject",
	    "CN=evil\xc2\x9b" "2J", "list", "ok", "name", "x\033]0;t\007",
	    "n", 3);
	termsafe_json(v);
	assert_string_equal(json_string_value(json_object_get(v, "subject")),
	    "CN=evil?2J");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(v, "list"), 0)), "ok");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(v, "list"), 1), "name")), "x?]0;t?");
	assert_int_equal(json_integer_value(json_object_get(v, "n")), 3);
	json_decref(v);
}

static char	last[256];

static void
hook(enum log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	snprintf(last, sizeof last, "%s", msg);
}

static void
test_log(void **state)
{
	FILE	*f;
	char	 buf[512];
	size_t	 n;

	(void)state;
	f = tmpfile();
	assert_non_null(f);
	log_open(f, LOG_LEVEL_INFO);
	log_set_hook(hook, NULL);
	log_info("CA %s installed", "CN=x\xc2\x9b" "2J\033[0m");
	log_set_hook(NULL, NULL);
	assert_string_equal(last, "CA CN=x?2J?[0m installed");
	rewind(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "info: CA CN=x?2J?[0m installed\n"));
	assert_null(memchr(buf, 0x1b, n));
	assert_null(memchr(buf, 0x9b, n));
	log_open(stderr, LOG_LEVEL_INFO);
	fclose(f);
}

/* An import's error, one line per file: its line ends stay, nothing else. */
static void
test_json_lines(void **state)
{
	json_t	*v;

	(void)state;
	v = json_pack("{s:s, s:s, s:[s]}", "error", "a.zip: bad\nb\x1b[2J.zip: "
	    "bad\n", "name", "x\ny", "list", "p\nq");
	termsafe_json_lines(v, "error");
	assert_string_equal(json_string_value(json_object_get(v, "error")),
	    "a.zip: bad\nb?[2J.zip: bad\n");
	assert_string_equal(json_string_value(json_object_get(v, "name")),
	    "x?y");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(v, "list"), 0)), "p?q");
	json_decref(v);
	v = json_pack("{s:s}", "error", "x\ny");
	termsafe_json(v);
	assert_string_equal(json_string_value(json_object_get(v, "error")),
	    "x?y");
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_lines),
		cmocka_unit_test(test_log),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
