#!/bin/sh
# install-agent.sh: puts the qfleet agent on a qmail server and starts it under daemontools or
# systemd. Run it as root from the unpacked agent package (`npm run package:agent`), or from
# a checkout after `npm run build`. Running it again upgrades the agent in place: the stored
# secret (state dir) is kept, so --token is needed only the first time. docs/operations.md
# describes every flag.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

controller=
token=
qmail=/var/qmail
service=daemontools
service_dir=
systemd_unit=
init_script=
pidfile=
start_command=
ca=
supervisor=
prefix=/usr/local/lib/qfleet-agent
config_dir=/etc/qfleet-agent
state_dir=/var/lib/qfleet-agent
log_dir=/var/log/qfleet-agent
svscan_dir=
unit_dir=/etc/systemd/system
node=
bundle=
start=yes
extra_env=

usage() {
  cat <<'EOF'
usage: install-agent.sh --controller URL --token TOKEN [options]

  --controller URL        the controller, e.g. https://qfleet.example.net (required)
  --token TOKEN           the one-time enrol token from `qfleet hosts add` (first install only)
  --qmail DIR             qmail's home (default /var/qmail)
  --service KIND          how the agent starts, stops and signals qmail-send:
                          daemontools (default), systemd, init, pidfile or none
  --service-dir DIR       daemontools: qmail-send's service dir (default /service/qmail-send)
  --systemd-unit UNIT     systemd: the unit running qmail-start (default qmail)
  --init-script FILE      init: the script taking start|stop|restart (default /etc/init.d/qmail)
  --pidfile FILE          init (optional), pidfile (required): the file holding qmail-send's pid
  --start-command CMD     pidfile: the command that starts qmail-send (no shell)
  --ca FILE               the CA that signed the controller's certificate (private CA)
  --env NAME=VALUE        any other agent setting, e.g. --env QFLEET_MAILBOX=mbox (repeatable)
  --supervisor KIND       what keeps the agent running: daemontools, systemd or none
                          (default: daemontools with --service daemontools, otherwise systemd)
  --prefix DIR            where the agent bundle goes (default /usr/local/lib/qfleet-agent)
  --config-dir DIR        agent.env and the daemontools service dir (default /etc/qfleet-agent)
  --state-dir DIR         the agent's secret and journal (default /var/lib/qfleet-agent)
  --log-dir DIR           daemontools: multilog's directory (default /var/log/qfleet-agent)
  --svscan-dir DIR        daemontools: the directory svscan watches (default /service, or
                          /etc/service when only that exists)
  --unit-dir DIR          systemd: where the unit goes (default /etc/systemd/system)
  --node FILE             the Node.js 20+ binary (default: node on PATH)
  --bundle FILE           the agent bundle (default: qfleet-agent.js beside this script)
  --no-start              install everything but do not start (or restart) the agent
EOF
}

die() {
  echo "install-agent.sh: $*" >&2
  exit 2
}

need() {
  [ $# -ge 2 ] || die "$1 needs a value"
}

while [ $# -gt 0 ]; do
  case $1 in
    --controller) need "$@"; controller=$2; shift 2 ;;
    --token) need "$@"; token=$2; shift 2 ;;
    --qmail) need "$@"; qmail=$2; shift 2 ;;
    --service) need "$@"; service=$2; shift 2 ;;
    --service-dir) need "$@"; service_dir=$2; shift 2 ;;
    --systemd-unit) need "$@"; systemd_unit=$2; shift 2 ;;
    --init-script) need "$@"; init_script=$2; shift 2 ;;
    --pidfile) need "$@"; pidfile=$2; shift 2 ;;
    --start-command) need "$@"; start_command=$2; shift 2 ;;
    --ca) need "$@"; ca=$2; shift 2 ;;
    --env) need "$@"; extra_env="$extra_env
$2"; shift 2 ;;
    --supervisor) need "$@"; supervisor=$2; shift 2 ;;
    --prefix) need "$@"; prefix=$2; shift 2 ;;
    --config-dir) need "$@"; config_dir=$2; shift 2 ;;
    --state-dir) need "$@"; state_dir=$2; shift 2 ;;
    --log-dir) need "$@"; log_dir=$2; shift 2 ;;
    --svscan-dir) need "$@"; svscan_dir=$2; shift 2 ;;
    --unit-dir) need "$@"; unit_dir=$2; shift 2 ;;
    --node) need "$@"; node=$2; shift 2 ;;
    --bundle) need "$@"; bundle=$2; shift 2 ;;
    --no-start) start=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done

# Paths are written into agent.env, the run script and the unit: plain absolute paths only,
# so that no quoting or sed escaping is ever needed.
abs_path() {
  case $2 in
    /*) ;;
    *) die "$1 must be an absolute path, not \"$2\"" ;;
  esac
  case $2 in
    *[!A-Za-z0-9._/+@:-]*) die "$1 may hold only letters, digits and . _ / + @ : -, not \"$2\"" ;;
  esac
}

# A value written in agent.env between single quotes (read by sh and by systemd alike).
plain_value() {
  case $2 in
    *\'*|*\\*|*'
'*) die "$1 may not hold a quote, a backslash or a newline" ;;
  esac
}

[ -n "$controller" ] || die "--controller is required (the URL the agent connects to)"
case $controller in
  http://*|https://*) ;;
  *) die "--controller must be an http:// or https:// URL, not \"$controller\"" ;;
esac
plain_value --controller "$controller"
plain_value --token "$token"
plain_value --start-command "$start_command"
abs_path --qmail "$qmail"
abs_path --prefix "$prefix"
abs_path --config-dir "$config_dir"
abs_path --state-dir "$state_dir"
abs_path --log-dir "$log_dir"
abs_path --unit-dir "$unit_dir"

case $service in
  daemontools) [ -n "$service_dir" ] || service_dir=/service/qmail-send; abs_path --service-dir "$service_dir" ;;
  systemd) [ -n "$systemd_unit" ] || systemd_unit=qmail
    case $systemd_unit in *[!A-Za-z0-9_@.:-]*) die "--systemd-unit must be a unit name, not \"$systemd_unit\"" ;; esac ;;
  init) [ -n "$init_script" ] || init_script=/etc/init.d/qmail; abs_path --init-script "$init_script"
    [ -z "$pidfile" ] || abs_path --pidfile "$pidfile" ;;
  pidfile) [ -n "$pidfile" ] || die "--service pidfile needs --pidfile (the file holding qmail-send's pid)"
    abs_path --pidfile "$pidfile" ;;
  none) ;;
  *) die "--service must be daemontools, systemd, init, pidfile or none, not \"$service\"" ;;
esac
[ -z "$ca" ] || { abs_path --ca "$ca"; [ -r "$ca" ] || die "--ca $ca cannot be read"; }

nl='
'
IFS_SAVED=$IFS
IFS=$nl
for kv in $extra_env; do
  case $kv in
    QFLEET_*=*)
      case ${kv%%=*} in *[!A-Z0-9_]*) die "--env: \"${kv%%=*}\" is not a variable name" ;; esac
      plain_value --env "$kv" ;;
    *) die "--env takes QFLEET_NAME=VALUE, not \"$kv\"" ;;
  esac
done
IFS=$IFS_SAVED

if [ -z "$supervisor" ]; then
  if [ "$service" = daemontools ]; then supervisor=daemontools; else supervisor=systemd; fi
fi
case $supervisor in
  daemontools)
    if [ -z "$svscan_dir" ]; then
      if [ ! -d /service ] && [ -d /etc/service ]; then svscan_dir=/etc/service; else svscan_dir=/service; fi
    fi
    abs_path --svscan-dir "$svscan_dir"
    [ "$start" = no ] || command -v svc >/dev/null 2>&1 || die "daemontools is not installed (no svc on PATH); use --supervisor systemd"
    ;;
  systemd)
    [ "$start" = no ] || command -v systemctl >/dev/null 2>&1 || die "systemd is not running here (no systemctl); use --supervisor daemontools"
    ;;
  none) ;;
  *) die "--supervisor must be daemontools, systemd or none, not \"$supervisor\"" ;;
esac

[ -d "$qmail/control" ] || die "$qmail is not a qmail home (no $qmail/control); give --qmail"

if [ -z "$node" ]; then
  node=$(command -v node 2>/dev/null) || die "Node.js 20 or later is needed: install it, or give --node"
fi
abs_path --node "$node"
"$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null \
  || die "$node is not Node.js 20 or later ($("$node" --version 2>/dev/null || echo 'it does not run'))"

if [ -z "$bundle" ]; then
  for b in "$here/qfleet-agent.js" "$here/../dist/apps/agent/main.js"; do
    if [ -f "$b" ]; then bundle=$b; break; fi
  done
  [ -n "$bundle" ] || die "no agent bundle beside this script: unpack the package from \`npm run package:agent\`, or run \`npm run build\`, or give --bundle"
fi
version=$("$node" "$bundle" --version 2>/dev/null) || die "$bundle does not run under $node"

if [ -z "$token" ] && [ ! -f "$state_dir/credentials.json" ]; then
  die "--token is required: this host has not enrolled yet ($state_dir/credentials.json does not exist)"
fi

umask 022
[ "$(id -u)" = 0 ] || echo "install-agent.sh: not running as root: the agent needs root to manage qmail" >&2

# Writes stdin to $1 through a temp file and a rename, so a reader (supervise, systemd, an
# agent starting) sees the old file or the new one, never half of one.
put() {
  mode=$1
  dest=$2
  tmp="$dest.install-tmp.$$"
  cat > "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
}

# Fills a template from this package with the installed paths; the templates hold the defaults.
template() {
  sed -e "s|/usr/local/lib/qfleet-agent/qfleet-agent.js|$prefix/qfleet-agent.js|g" \
      -e "s|/usr/bin/node|$node|g" \
      -e "s|/etc/qfleet-agent/agent.env|$config_dir/agent.env|g" \
      -e "s|/var/log/qfleet-agent|$log_dir|g" "$here/$1"
}

# 1. The bundle: one file, replaced atomically, so an upgrade never leaves half of one.
mkdir -p "$prefix"
put 0644 "$prefix/qfleet-agent.js" < "$bundle"
echo "installed the agent $version as $prefix/qfleet-agent.js (run by $node)"

# 2. The state dir holds the per-host secret (credentials.json, 0600) and the apply journal.
mkdir -p "$state_dir"
chmod 0700 "$state_dir"

# 3. agent.env: the agent's settings as QFLEET_ variables, 0600 since it holds the enrol token.
mkdir -p "$config_dir"
chmod 0755 "$config_dir"
if [ -z "$token" ] && [ -f "$config_dir/agent.env" ]; then
  token=$(sed -n "s/^QFLEET_TOKEN='\(.*\)'\$/\1/p" "$config_dir/agent.env")
fi
if [ -n "$ca" ]; then
  put 0644 "$config_dir/ca.pem" < "$ca"
  ca="$config_dir/ca.pem"
fi
{
  echo "# The qfleet agent's settings, written by install-agent.sh (docs/operations.md)."
  echo "# Read by the daemontools run script and by the systemd unit; restart the agent after an edit."
  echo "QFLEET_CONTROLLER='$controller'"
  [ -z "$token" ] || echo "QFLEET_TOKEN='$token'"
  echo "QFLEET_QMAIL_HOME='$qmail'"
  echo "QFLEET_STATE_DIR='$state_dir'"
  echo "QFLEET_SERVICE='$service'"
  [ -z "$service_dir" ] || echo "QFLEET_SERVICE_DIR='$service_dir'"
  [ -z "$systemd_unit" ] || echo "QFLEET_SYSTEMD_UNIT='$systemd_unit'"
  [ -z "$init_script" ] || echo "QFLEET_INIT_SCRIPT='$init_script'"
  [ -z "$pidfile" ] || echo "QFLEET_PIDFILE='$pidfile'"
  [ -z "$start_command" ] || echo "QFLEET_START_COMMAND='$start_command'"
  [ -z "$ca" ] || echo "QFLEET_CA='$ca'"
  IFS=$nl
  for kv in $extra_env; do
    echo "${kv%%=*}='${kv#*=}'"
  done
  IFS=$IFS_SAVED
} | (umask 077 && put 0600 "$config_dir/agent.env")
echo "wrote $config_dir/agent.env (0600)"

# 4. What keeps the agent running.
case $supervisor in
  daemontools)
    svc_dir="$config_dir/service"
    mkdir -p "$svc_dir/log"
    template daemontools/run | put 0755 "$svc_dir/run"
    template daemontools/log/run | put 0755 "$svc_dir/log/run"
    mkdir -p "$log_dir"
    chmod 0700 "$log_dir"
    echo "wrote the daemontools service $svc_dir (log in $log_dir)"
    if [ "$start" = yes ]; then
      mkdir -p "$svscan_dir"
      if [ -L "$svscan_dir/qfleet-agent" ] || [ -e "$svscan_dir/qfleet-agent" ]; then
        # An upgrade: supervise is already running it; TERM makes it start the new bundle.
        svc -t "$svscan_dir/qfleet-agent" 2>/dev/null || true
        echo "restarted the agent: svc -t $svscan_dir/qfleet-agent"
      else
        ln -s "$svc_dir" "$svscan_dir/qfleet-agent"
        echo "linked $svscan_dir/qfleet-agent: svscan starts it within 5 seconds (svstat $svscan_dir/qfleet-agent)"
      fi
    else
      echo "not started: ln -s $svc_dir $svscan_dir/qfleet-agent to start it"
    fi
    ;;
  systemd)
    mkdir -p "$unit_dir"
    template systemd/qfleet-agent.service | put 0644 "$unit_dir/qfleet-agent.service"
    echo "wrote $unit_dir/qfleet-agent.service"
    if [ "$start" = yes ]; then
      systemctl daemon-reload
      systemctl enable qfleet-agent.service
      systemctl restart qfleet-agent.service
      echo "started the agent: systemctl status qfleet-agent; its log: journalctl -u qfleet-agent"
    else
      echo "not started: systemctl daemon-reload && systemctl enable --now qfleet-agent"
    fi
    ;;
  none)
    echo "no supervisor: run it as root with"
    echo "  export MALLOC_TRIM_THRESHOLD_=131072; set -a; . $config_dir/agent.env; set +a; exec $node --max-semi-space-size=1 $prefix/qfleet-agent.js"
    ;;
esac
