# Helpers for the DHCP suites (sourced, not a suite): a udhcpc script that
# keeps what the server said, and Polycom's binary option 60.

# udhcpc_script FILE DIR [per-mac]: the script udhcpc runs.  It configures
# the lease and writes the event and the server's options to DIR/EVENT
# (DIR/MAC.EVENT with per-mac, for several phones at once), whole.
udhcpc_script() {
	_who='$1'
	[ "${3:-}" = per-mac ] && _who='$mac.$1'
	cat >"$1" <<EOS
#!/bin/sh
mac=\$(tr -d : </sys/class/net/\$interface/address)
case "\$1" in
bound|renew)
	ip addr flush dev "\$interface"
	ip addr add "\$ip/\$subnet" dev "\$interface" ;;
esac
{ echo "event=\$1"; env | grep -E '^(ip|opt160|tftp|serverid)=' | sort; } \\
    >"$2/$_who.tmp" && mv "$2/$_who.tmp" "$2/$_who"
EOS
	chmod +x "$1"
}

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
subopt() { printf '%02x%02x%s' "$1" "${#2}" "$(hex "$2")"; }
# binary60 MODEL PART SIP BR: Polycom's binary option 60 (enterprise 13885,
# length, sub-options 1-5), in hex.
binary60() {
	_s="$(subopt 1 Polycom)$(subopt 2 "$1")$(subopt 3 "$2")"
	_s="$_s$(subopt 4 "SIP/$3/12-Jan-16")$(subopt 5 "BR/$4/01-Jan-15")"
	printf '0000363d%02x%s' $((${#_s} / 2)) "$_s"
}
