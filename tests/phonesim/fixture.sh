# Fixtures for the phonesim suites (sourced after tests/lib.sh): a static
# boot server (nginx with PUT for uploads, tftp-hpa's in.tftpd with -c),
# the mock ZTP endpoint, a test PKI, synthetic images and hand-written
# configs.  The appliance is not involved: these suites test the simulator
# against servers whose behaviour is known.

FX=$(make_tmpdir)

# fx_wait_tcp PORT: until something listens on 127.0.0.1:PORT.
fx_listening_tcp() {
	ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}
fx_listening_udp() {
	ss -Hlun "sport = :$1" 2>/dev/null | grep -q .
}

# fx_nginx ROOT [ADDR]: a static HTTP server with PUT on ADDR (127.0.0.1);
# sets HTTP_PORT, HTTP_URL and writes "$FX/access.log" as
# "METHOD URI STATUS "UA"" lines, "$FX/remote.log" as "ADDRESS URI" lines.
fx_nginx() {
	_fx_addr=${2:-127.0.0.1}
	command -v nginx >/dev/null 2>&1 || return 1
	HTTP_PORT=$(free_port tcp)
	mkdir -p "$FX/nginx/tmp"
	cat >"$FX/nginx/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 1;
pid $FX/nginx/nginx.pid;
error_log $FX/nginx/error.log;
events { worker_connections 512; }
http {
	log_format ps '\$request_method \$uri \$status "\$http_user_agent"';
	access_log $FX/access.log ps;
	log_format remote '\$remote_addr \$uri';
	access_log $FX/remote.log remote;
	client_body_temp_path $FX/nginx/tmp/body;
	proxy_temp_path $FX/nginx/tmp/proxy;
	fastcgi_temp_path $FX/nginx/tmp/fcgi;
	uwsgi_temp_path $FX/nginx/tmp/uwsgi;
	scgi_temp_path $FX/nginx/tmp/scgi;
	server {
		listen $_fx_addr:$HTTP_PORT;
		root $1;
		location / {
			dav_methods PUT;
			create_full_put_path on;
			client_max_body_size 10m;
		}
	}
}
EOF
	nginx -p "$FX/nginx" -c "$FX/nginx/nginx.conf" \
	    -e "$FX/nginx/error.log" 2>>"$FX/nginx/error.log" &
	_fx_pid=$!
	at_exit "kill $_fx_pid 2>/dev/null; wait $_fx_pid 2>/dev/null"
	HTTP_URL="http://$_fx_addr:$HTTP_PORT/"
	wait_for 10 fx_listening_tcp "$HTTP_PORT"
}

# fx_tftpd ROOT: tftp-hpa serving ROOT, uploads allowed; sets TFTP_URL.
fx_tftpd() {
	command -v in.tftpd >/dev/null 2>&1 || return 1
	TFTP_PORT=$(free_port udp)
	in.tftpd -L -a "127.0.0.1:$TFTP_PORT" -s "$1" -c -p -u root &
	_fx_pid=$!
	at_exit "kill $_fx_pid 2>/dev/null; wait $_fx_pid 2>/dev/null"
	TFTP_URL="tftp://127.0.0.1:$TFTP_PORT/"
	wait_for 10 fx_listening_udp "$TFTP_PORT"
}

# fx_ztp_mock CERT KEY [ADDR]: the mock ZTP endpoint on ADDR (127.0.0.1);
# sets ZTP_URL, writes "$FX/arrivals.log".
fx_ztp_mock() {
	_fx_addr=${3:-127.0.0.1}
	ZTP_PORT=$(free_port tcp)
	"$PHONESIM_BIN" ztp-mock --listen "$_fx_addr:$ZTP_PORT" --cert "$1" \
	    --key "$2" --log "$FX/arrivals.log" 2>>"$FX/ztp-mock.err" &
	_fx_pid=$!
	at_exit "kill $_fx_pid 2>/dev/null; wait $_fx_pid 2>/dev/null"
	ZTP_URL="https://$_fx_addr:$ZTP_PORT/"
	wait_for 10 fx_listening_tcp "$ZTP_PORT"
}

# fx_image PART VERSION MODELS SIZE OUT: a synthetic image in the shared
# header format (512-byte text header, NUL padded, then the payload).
fx_image() {
	head -c "$4" /dev/urandom >"$FX/payload"
	{
		printf 'ZTP-RESCUE SYNTHETIC UC SOFTWARE IMAGE - NOT POLYCOM SOFTWARE\n'
		printf 'format: 1\npart: %s\nversion: %s\nmodels: %s\n' "$1" "$2" "$3"
		printf 'payload-size: %s\npayload-sha256: %s\n' "$4" \
		    "$(sha256sum "$FX/payload" | cut -d' ' -f1)"
	} >"$FX/header"
	truncate -s 512 "$FX/header"
	cat "$FX/header" "$FX/payload" >"$5"
	rm -f "$FX/header" "$FX/payload"
}

# fx_attr_pem FILE: a PEM file as an XML attribute value (newlines as &#10;).
fx_attr_pem() {
	awk '{ printf "%s&#10;", $0 }' "$1"
}

# fx_der_sha256 PEM: the certificate's SHA-256 fingerprint, lower-case hex.
fx_der_sha256() {
	openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}

# fx_boot_root DIR CA_PEM: the hand-written boot server of the suites.
#   VVX410 (4.1.x): APP_FILE_PATH sip.ld -> 3111-46162-001.sip.ld 4.1.7.5432
#   VVX501 (5.x):   names its part, so the phone asks for the doubled form
#   anything else:  no override, the default names no image and no files
# CONFIG_FILES: trust.cfg (CA), repoint.cfg (ZTP), late.cfg (values that
# must lose to the earlier files, and a device.* without its .set).
fx_boot_root() {
	mkdir -p "$1"
	cat >"$1/000000000000.cfg" <<'EOF'
<?xml version="1.0" standalone="yes"?>
<!-- synthetic master config for the phonesim suites -->
<APPLICATION APP_FILE_PATH="" CONFIG_FILES="" MISC_FILES="" LOG_FILE_DIRECTORY="" OVERRIDES_DIRECTORY="" CONTACTS_DIRECTORY="" LICENSE_DIRECTORY="" USER_PROFILES_DIRECTORY="" CALL_LISTS_DIRECTORY="">
	<APPLICATION_VVX410 APP_FILE_PATH_VVX410="sip.ld" CONFIG_FILES_VVX410="trust.cfg, repoint.cfg, late.cfg"/>
	<APPLICATION_VVX501 APP_FILE_PATH_VVX501="[PHONE_PART_NUMBER].sip.ld" CONFIG_FILES_VVX501="trust.cfg, repoint.cfg"/>
</APPLICATION>
EOF
	cat >"$1/trust.cfg" <<EOF
<?xml version="1.0" standalone="yes"?>
<polycomConfig device.set="1" device.sec.TLS.customCaCert1.set="1" device.sec.TLS.customCaCert1="$(fx_attr_pem "$2")"/>
EOF
	cat >"$1/repoint.cfg" <<'EOF'
<?xml version="1.0" standalone="yes"?>
<PHONE_CONFIG><ALL device.prov.serverName.set="1" device.prov.serverName="" device.prov.ztpEnabled.set="1" device.prov.ztpEnabled="1"/></PHONE_CONFIG>
EOF
	cat >"$1/late.cfg" <<'EOF'
<?xml version="1.0" standalone="yes"?>
<polycomConfig device.prov.ztpEnabled="0" device.syslog.serverName="192.0.2.1"/>
EOF
	fx_image 3111-46162-001 4.1.7.5432 VVX410 300000 \
	    "$1/3111-46162-001.sip.ld"
	fx_image 3111-48500-001 5.4.1.18370 VVX501 200000 \
	    "$1/3111-48500-001.3111-48500-001.sip.ld"
}
