/*
 * Dialogs over whatever screen is up: a message, a yes/no question (asked
 * once, before anything destructive; only 'y' says yes), a line of text, and
 * a choice from a list.  Each one keeps the event stream drained while it
 * waits, redraws itself on resize, and gives way when the terminal goes.
 */
#include <curses.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"
#include "ui.h"

#define UI_INPUT_MAX 1024
#define UI_KEY_ESC 27

struct ui_box {
	int	y, x, h, w;
};

static void	ui_free_lines(char **, size_t);
static void	ui_box_draw(struct ui *, struct ui_box *, int, const char *);
static int	ui_hex(char);

void
ui_set_message(struct ui *ui, int bad, const char *fmt, ...)
{
	va_list	 ap;
	char	*p, *joined;

	free(ui->message);
	va_start(ap, fmt);
	xvasprintf(&ui->message, fmt, ap);
	va_end(ap);
	/* One line on screen: a text of several (import errors) joined. */
	while ((p = strchr(ui->message, '\n')) != NULL) {
		*p = '\0';
		xasprintf(&joined, "%s%s%s", ui->message, p > ui->message &&
		    p[-1] != ' ' && p[1] != '\n' && p[1] != '\0' ? "; " :
		    " ", p + 1);
		free(ui->message);
		ui->message = joined;
	}
	ui->message_bad = bad;
	ui->dirty = 1;
}

/* Split text into lines of at most width columns; '\n' breaks a line. */
size_t
ui_wrap(const char *text, int width, char ***out)
{
	char		**lines = NULL;
	size_t		  n = 0;
	const char	 *p = text, *end, *brk;
	int		  len;

	if (width < 8)
		width = 8;
	while (*p != '\0') {
		end = strchr(p, '\n');
		len = end != NULL ? (int)(end - p) : (int)strlen(p);
		brk = NULL;
		if (len > width) {
			for (brk = p + width; brk > p && *brk != ' '; brk--)
				;
			if (brk == p)
				brk = p + width;	/* one long word */
			len = (int)(brk - p);
		}
		lines = xreallocarray(lines, n + 1, sizeof *lines);
		lines[n++] = xstrndup(p, len);
		p += len;
		if (brk != NULL && *p == ' ')
			p++;
		else if (brk == NULL && *p == '\n')
			p++;
	}
	*out = lines;
	return (n);
}

static void
ui_free_lines(char **lines, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* A centred, cleared, framed box of h lines of content and a title. */
static void
ui_box_draw(struct ui *ui, struct ui_box *b, int h, const char *title)
{
	int	i;

	b->w = COLS - 4 > 72 ? 72 : COLS - 4;
	if (b->w < 20)
		b->w = COLS;
	b->h = h + 2;
	if (b->h > LINES)
		b->h = LINES;
	b->y = (LINES - b->h) / 2;
	b->x = (COLS - b->w) / 2;
	ui_redraw(ui);
	for (i = 0; i < b->h; i++)
		mvhline(b->y + i, b->x, ' ', b->w);
	/* Plain ASCII: readable on any console, and in text captures. */
	attron(A_BOLD);
	mvhline(b->y, b->x + 1, '-', b->w - 2);
	mvhline(b->y + b->h - 1, b->x + 1, '-', b->w - 2);
	mvvline(b->y + 1, b->x, '|', b->h - 2);
	mvvline(b->y + 1, b->x + b->w - 1, '|', b->h - 2);
	mvaddch(b->y, b->x, '+');
	mvaddch(b->y, b->x + b->w - 1, '+');
	mvaddch(b->y + b->h - 1, b->x, '+');
	mvaddch(b->y + b->h - 1, b->x + b->w - 1, '+');
	mvprintw(b->y, b->x + 2, " %.*s ", b->w - 6, title);
	attroff(A_BOLD);
}

void
ui_message_box(struct ui *ui, const char *title, const char *text)
{
	struct ui_box	  b;
	char		**lines;
	size_t		  n, i;
	int		  ch, w;

	for (;;) {
		w = (COLS - 4 > 72 ? 72 : COLS - 4) - 4;
		n = ui_wrap(text, w, &lines);
		ui_box_draw(ui, &b, (int)n + 2, title);
		for (i = 0; i < n && (int)i < b.h - 4; i++)
			mvaddnstr(b.y + 1 + i, b.x + 2, lines[i], b.w - 4);
		ui_free_lines(lines, n);
		attron(A_REVERSE);
		mvaddstr(b.y + b.h - 2, b.x + (b.w - 16) / 2, " press any key ");
		attroff(A_REVERSE);
		refresh();
		ch = ui_getch(ui);
		if (ch == UI_HANGUP)
			return;
		if (ch == ERR || ch == KEY_RESIZE)
			continue;
		if (ch == '?' || ch == KEY_F(1)) {
			ui_help(ui, UI_HELP_DIALOG);
			continue;
		}
		return;
	}
}

/* A box that says what is going on while a long request runs. */
void
ui_busy(struct ui *ui, const char *title, const char *text)
{
	struct ui_box	  b;
	char		**lines;
	size_t		  n, i;
	int		  w;

	w = (COLS - 4 > 72 ? 72 : COLS - 4) - 4;
	n = ui_wrap(text, w, &lines);
	ui_box_draw(ui, &b, (int)n, title);
	for (i = 0; i < n && (int)i < b.h - 2; i++)
		mvaddnstr(b.y + 1 + i, b.x + 2, lines[i], b.w - 4);
	ui_free_lines(lines, n);
	refresh();
}

int
ui_confirm(struct ui *ui, const char *title, const char *text)
{
	struct ui_box	  b;
	char		**lines;
	size_t		  n, i;
	int		  ch, w;

	for (;;) {
		w = (COLS - 4 > 72 ? 72 : COLS - 4) - 4;
		n = ui_wrap(text, w, &lines);
		ui_box_draw(ui, &b, (int)n + 2, title);
		for (i = 0; i < n && (int)i < b.h - 4; i++)
			mvaddnstr(b.y + 1 + i, b.x + 2, lines[i], b.w - 4);
		ui_free_lines(lines, n);
		attron(A_REVERSE);
		mvaddstr(b.y + b.h - 2, b.x + (b.w - 26) / 2,
		    " y = yes    n / Esc = no ");
		attroff(A_REVERSE);
		refresh();
		ch = ui_getch(ui);
		switch (ch) {
		case UI_HANGUP:
			return (0);
		case 'y':
		case 'Y':
			return (1);
		case 'n':
		case 'N':
		case 'q':
		case UI_KEY_ESC:
			return (0);
		case '?':
		case KEY_F(1):
			ui_help(ui, UI_HELP_DIALOG);
			break;
		}
	}
}

/*
 * A path as typed or pasted: blanks around it, a pair of quotes around it
 * (a path with a space, copied from a shell or from Windows' "Copy as
 * path") and a file manager's file:// with its %20s are not part of it.
 * In place; returns s.
 */
char *
ui_path_clean(char *s)
{
	char	*p, *o;
	size_t	 len;
	int	 hi, lo;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	if (len >= 2 && (*s == '\'' || *s == '"') && s[len - 1] == *s) {
		s[len - 1] = '\0';
		s++;
	}
	if (strncmp(s, "file://", 7) != 0 || s[7] != '/')
		return (s);
	s += 7;
	for (p = o = s; *p != '\0'; p++) {
		if (*p == '%' && (hi = ui_hex(p[1])) != -1 &&
		    (lo = ui_hex(p[2])) != -1 && (hi != 0 || lo != 0)) {
			*o++ = (char)(hi * 16 + lo);
			p += 2;
		} else
			*o++ = *p;
	}
	*o = '\0';
	return (s);
}

/* A path asked for: ui_input(), cleaned by ui_path_clean(). */
char *
ui_input_path(struct ui *ui, const char *title, const char *prompt,
    const char *initial)
{
	char	*text, *path;

	char	 cwd[PATH_MAX];

	if ((text = ui_input(ui, title, prompt, initial)) == NULL)
		return (NULL);
	path = xstrdup(ui_path_clean(text));
	free(text);
	if (*path == '\0') {
		ui_set_message(ui, 1, "%s: no path given; nothing done", title);
		free(path);
		return (NULL);
	}
	/* The daemon reads it, from another working directory. */
	if (*path != '/' && getcwd(cwd, sizeof cwd) != NULL) {
		xasprintf(&text, "%s/%s", cwd, path);
		free(path);
		path = text;
	}
	return (path);
}

static int
ui_hex(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Screen columns of n bytes of UTF-8: its continuation bytes take none. */
static int
ui_utf8_cols(const char *s, size_t n)
{
	int	cols = 0;

	for (; n > 0 && *s != '\0'; s++, n--)
		if (((unsigned char)*s & 0xc0) != 0x80)
			cols++;
	return (cols);
}

char *
ui_input(struct ui *ui, const char *title, const char *prompt,
    const char *initial)
{
	struct ui_box	  b;
	char		**lines, buf[UI_INPUT_MAX];
	size_t		  n, i, len;
	int		  ch, w, field, off;

	snprintf(buf, sizeof buf, "%s", initial != NULL ? initial : "");
	len = strlen(buf);
	for (;;) {
		w = (COLS - 4 > 72 ? 72 : COLS - 4) - 4;
		n = ui_wrap(prompt, w, &lines);
		ui_box_draw(ui, &b, (int)n + 4, title);
		for (i = 0; i < n && (int)i < b.h - 6; i++)
			mvaddnstr(b.y + 1 + i, b.x + 2, lines[i], b.w - 4);
		ui_free_lines(lines, n);
		field = b.w - 4;
		off = (int)len >= field ? (int)len - field + 1 : 0;
		attron(A_UNDERLINE);
		mvhline(b.y + b.h - 4, b.x + 2, ' ', field);
		mvaddnstr(b.y + b.h - 4, b.x + 2, buf + off, field);
		attroff(A_UNDERLINE);
		mvaddnstr(b.y + b.h - 2, b.x + 2,
		    "Enter = OK   Esc = cancel   ^U = clear   F1 = help",
		    b.w - 4);
		move(b.y + b.h - 4, b.x + 2 + ui_utf8_cols(buf + off,
		    len - (size_t)off));
		curs_set(1);
		refresh();
		ch = ui_getch(ui);
		curs_set(0);
		switch (ch) {
		case UI_HANGUP:
		case UI_KEY_ESC:
			return (NULL);
		case ERR:
		case KEY_RESIZE:
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			return (xstrdup(buf));
		case KEY_BACKSPACE:
		case 127:
		case 8:
			/* A whole character, not one byte of it. */
			while (len > 0 &&
			    ((unsigned char)buf[len - 1] & 0xc0) == 0x80)
				len--;
			if (len > 0)
				len--;
			buf[len] = '\0';
			break;
		case 21:	/* ^U */
			len = 0;
			buf[0] = '\0';
			break;
		case KEY_F(1):
			ui_help(ui, UI_HELP_DIALOG);
			break;
		default:
			/*
			 * The bytes of a UTF-8 character come one by one (a
			 * customer's folder "Müller"): they were dropped.
			 */
			if (((ch >= 32 && ch < 127) || (ch >= 0x80 &&
			    ch <= 0xff)) && len + 1 < sizeof buf) {
				buf[len++] = (char)ch;
				buf[len] = '\0';
			}
			break;
		}
	}
}

int
ui_choose(struct ui *ui, const char *title, const char *const *items,
    size_t n, size_t initial)
{
	struct ui_box	b;
	size_t		sel = initial < n ? initial : 0, top = 0, i;
	int		ch, rows;

	if (n == 0)
		return (-1);
	for (;;) {
		rows = (int)n + 2;
		if (rows > LINES - 2)
			rows = LINES - 2;
		ui_box_draw(ui, &b, rows, title);
		rows -= 2;
		if (rows < 1)
			rows = 1;
		if (sel < top)
			top = sel;
		if (sel >= top + rows)
			top = sel - rows + 1;
		for (i = top; i < n && i < top + rows; i++) {
			if (i == sel)
				attron(A_REVERSE);
			mvhline(b.y + 1 + (i - top), b.x + 2, ' ', b.w - 4);
			if (i < 9)
				mvprintw(b.y + 1 + (i - top), b.x + 2,
				    "%zu %.*s", i + 1, b.w - 6, items[i]);
			else
				mvprintw(b.y + 1 + (i - top), b.x + 2,
				    "  %.*s", b.w - 6, items[i]);
			if (i == sel)
				attroff(A_REVERSE);
		}
		mvaddnstr(b.y + b.h - 2, b.x + 2,
		    "Up/Down, Enter = choose, Esc = back, F1 = help", b.w - 4);
		refresh();
		ch = ui_getch(ui);
		switch (ch) {
		case UI_HANGUP:
		case UI_KEY_ESC:
		case 'q':
			return (-1);
		case KEY_UP:
		case 'k':
			if (sel > 0)
				sel--;
			break;
		case KEY_DOWN:
		case 'j':
			if (sel + 1 < n)
				sel++;
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			return ((int)sel);
		case '?':
		case KEY_F(1):
			ui_help(ui, UI_HELP_MENU);
			break;
		default:
			if (ch >= '1' && ch <= '9' && (size_t)(ch - '1') < n)
				return (ch - '1');
			break;
		}
	}
}
