# Sourced by the scripts that print to tty1 and ttyS0.

# termsafe TEXT: TEXT as one line a terminal shows and never obeys.  Names
# from sticks (file names, labels) and certificate subjects are anyone's:
# invalid UTF-8 is dropped (a lone byte 0x9b is CSI to a terminal that is
# not in UTF-8 mode), and C0 controls, DEL and C1 controls (U+0080-U+009F,
# U+009B CSI among them) become "?".  Newlines and tabs become spaces.
termsafe() {
	printf '%s' "$*" | tr '\n\t' '  ' | iconv -c -f UTF-8 -t UTF-8 2>/dev/null |
	    LC_ALL=C sed 's/[\x01-\x1f\x7f]/?/g; s/\xc2[\x80-\x9f]/?/g'
}
