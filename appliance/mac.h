/*
 * A MAC address as the operator, a phone or dnsmasq writes it, in one
 * grammar (case-insensitive hex digits, no spaces):
 *
 *	0004f2aabbcc		twelve digits
 *	00:04:f2:aa:bb:cc	six pairs, all separated by ':'
 *	00-04-f2-aa-bb-cc	or all by '-'
 *	0004.f2aa.bbcc		three groups of four, separated by '.'
 *
 * and written back as twelve lower-case digits, the form the journal, the
 * file names phones ask for and dnsmasq's hosts file use.
 */
#ifndef ZTP_MAC_H
#define ZTP_MAC_H

#define MAC_TEXT_LEN	12

/* 0 and out (MAC_TEXT_LEN digits and a NUL); -1 when text is not a MAC. */
int	mac_parse(const char *, char out[MAC_TEXT_LEN + 1]);

#endif
