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

# ns_pair TAG VETH [MAC]: the appliance's namespace $app (lan0) and the
# phone's $ph (eth0, with MAC when given, up), joined by a veth that is made
# as VETH (unique per run: add $$) and renamed; both removed at exit.
ns_pair() {
	app=$1-app-$$
	ph=$1-ph-$$
	at_exit ns_pair_cleanup
	ip netns add "$app" || return 1
	ip netns add "$ph" || return 1
	ip -n "$app" link set lo up
	ip -n "$ph" link set lo up
	ip link add "$2" netns "$app" type veth peer name eth0 \
	    ${3:+address "$3"} netns "$ph" || return 1
	ip -n "$app" link set "$2" name lan0 || return 1
	ip -n "$ph" link set eth0 up
}

ns_pair_cleanup() {
	for _n in $app $ph; do
		ip netns pids "$_n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$_n" 2>/dev/null
	done
}

# need_tools CMD...: skip the whole suite (exit 0) unless every CMD is on
# the PATH.
need_tools() {
	for _c in "$@"; do
		if ! command -v "$_c" >/dev/null 2>&1; then
			skip "needs $_c"
			done_testing
			exit 0
		fi
	done
}

# need_user NAME: skip the whole suite (exit 0) unless the user NAME exists.
need_user() {
	if ! id "$1" >/dev/null 2>&1; then
		skip "needs the user $1"
		done_testing
		exit 0
	fi
}

# bridge_closet PREFIX [BRIDGE-OPTION...]: a closet switch, the namespace
# $sw with a bridge br0 (made with the options given), and the appliance's
# namespace $app whose lan0 is a port of it.  Every namespace PREFIX-*-$$
# (those of bridge_node too) is removed at exit.
bridge_closet() {
	_bc=$1
	shift
	sw=$_bc-sw-$$
	app=$_bc-app-$$
	at_exit bridge_closet_cleanup
	ip netns add "$sw" || return 1
	ip netns add "$app" || return 1
	ip -n "$sw" link add br0 type bridge "$@" || return 1
	ip -n "$sw" link set br0 up || return 1
	ip -n "$sw" link add app type veth peer name lan0 netns "$app" ||
	    return 1
	ip -n "$sw" link set app master br0 up || return 1
	ip -n "$app" link set lo up
}

# bridge_node NAME MAC: the namespace PREFIX-NAME-$$ with eth0 (that MAC,
# up) on the closet's bridge, through the port pNAME.
bridge_node() {
	_bn=$_bc-$1-$$
	ip netns add "$_bn" || return 1
	ip -n "$sw" link add "p$1" type veth peer name eth0 address "$2" \
	    netns "$_bn" || return 1
	ip -n "$sw" link set "p$1" master br0 up || return 1
	ip -n "$_bn" link set lo up
	ip -n "$_bn" link set eth0 up
}

bridge_closet_cleanup() {
	for _n in $(ip netns list | awk '{print $1}' | grep -- "^$_bc-.*-$$\$")
	do
		ip netns pids "$_n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$_n" 2>/dev/null
	done
}

# rogue_dnsmasq DIR: another DHCP server on the phones' side (eth0 of $ph,
# which needs an address in 10.99.0.0/24), offering 10.99.0.150-159; its pid
# in $rogue, killed at exit.
rogue_dnsmasq() {
	ip netns exec "$ph" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	    --interface=eth0 --bind-interfaces --port=0 --pid-file= --no-ping \
	    --dhcp-range=10.99.0.150,10.99.0.159,255.255.255.0 \
	    --dhcp-leasefile="$1/rogue.leases" --log-facility="$1/rogue.log" &
	rogue=$!
	at_exit "kill $rogue 2>/dev/null"
}
