#!/usr/bin/env bash
# Installs wabulk as a service: the release binary, bash/zsh/fish completions, the man page, a system user,
# the home (inbox/ and outbox/ group-writable for the staff group, var/ private to the daemon), the hardened
# systemd unit (contrib/wabulk.service) and /etc/wabulk/secrets.env (0600, a template; never overwritten).
#
# usage: scripts/install.sh [--prefix /usr/local] [--home /srv/wabulk] [--user wabulk] [--staff-group wabulk-staff]
#                           [--binary PATH] [--root DIR] [--uninstall]
#   --binary PATH  install this binary instead of building one (swift build -c release)
#   --root DIR     install under DIR (a staging root for packaging or a test): no user or group is created,
#                  files keep the current user as owner, systemd is not told
#   --uninstall    removes the binary, completions, man page and unit; keeps the home and secrets.env (data)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=/usr/local HOME_DIR=/srv/wabulk USER_NAME=wabulk STAFF_GROUP=wabulk-staff BINARY="" ROOT="" UNINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --home) HOME_DIR=$2; shift 2 ;;
    --user) USER_NAME=$2; shift 2 ;;
    --staff-group) STAFF_GROUP=$2; shift 2 ;;
    --binary) BINARY=$2; shift 2 ;;
    --root) ROOT=$(realpath -m "$2"); shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for path in "$PREFIX" "$HOME_DIR"; do
  case "$path" in /*) ;; *) echo "install.sh: $path must be an absolute path" >&2; exit 2 ;; esac
done
BIN_DIR="$ROOT$PREFIX/bin"
BASH_DIR="$ROOT$PREFIX/share/bash-completion/completions"
ZSH_DIR="$ROOT$PREFIX/share/zsh/site-functions"
FISH_DIR="$ROOT$PREFIX/share/fish/vendor_completions.d"
MAN_DIR="$ROOT$PREFIX/share/man/man1"
UNIT="$ROOT/etc/systemd/system/wabulk.service"
SECRETS="$ROOT/etc/wabulk/secrets.env"
SYSTEM=1
[ -n "$ROOT" ] && SYSTEM=0
say() { echo "install.sh: $*"; }

if [ "$UNINSTALL" = 1 ]; then
  if [ "$SYSTEM" = 1 ] && command -v systemctl >/dev/null && [ -f "$UNIT" ]; then systemctl disable --now wabulk.service || true; fi
  rm -f "$BIN_DIR/wabulk" "$BASH_DIR/wabulk" "$ZSH_DIR/_wabulk" "$FISH_DIR/wabulk.fish" "$MAN_DIR/wabulk.1" "$UNIT"
  [ "$SYSTEM" = 1 ] && command -v systemctl >/dev/null && systemctl daemon-reload || true
  say "removed the binary, completions, man page and unit; kept $ROOT$HOME_DIR and $SECRETS (and the user $USER_NAME)"
  exit 0
fi

if [ -z "$BINARY" ]; then
  swift build -c release --product wabulk
  BINARY=.build/release/wabulk
fi
[ -x "$BINARY" ] || { echo "install.sh: $BINARY is not an executable" >&2; exit 1; }

install -d -m 0755 "$BIN_DIR" "$BASH_DIR" "$ZSH_DIR" "$FISH_DIR" "$MAN_DIR" "$(dirname "$UNIT")"
install -m 0755 "$BINARY" "$BIN_DIR/wabulk"
"$BIN_DIR/wabulk" --generate-completion-script bash > "$BASH_DIR/wabulk"
"$BIN_DIR/wabulk" --generate-completion-script zsh > "$ZSH_DIR/_wabulk"
"$BIN_DIR/wabulk" --generate-completion-script fish > "$FISH_DIR/wabulk.fish"
python3 scripts/manpage.py "$BIN_DIR/wabulk" > "$MAN_DIR/wabulk.1"
chmod 0644 "$BASH_DIR/wabulk" "$ZSH_DIR/_wabulk" "$FISH_DIR/wabulk.fish" "$MAN_DIR/wabulk.1"

OWNER=$(id -un) GROUP=$(id -gn)
if [ "$SYSTEM" = 1 ]; then
  getent group "$STAFF_GROUP" >/dev/null || groupadd --system "$STAFF_GROUP"
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$HOME_DIR" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
  fi
  OWNER=$USER_NAME GROUP=$STAFF_GROUP
fi
# The home: only the daemon writes it; staff reach inbox/ and outbox/ through their group (setgid, so what
# they drop keeps it). var/ is the daemon's alone.
H="$ROOT$HOME_DIR"
install -d -m 0750 -o "$OWNER" -g "$GROUP" "$H"
install -d -m 2770 -o "$OWNER" -g "$GROUP" "$H/inbox" "$H/outbox"
install -d -m 0700 -o "$OWNER" -g "$OWNER" "$H/var"
[ -f "$H/wabulk.json" ] || install -m 0640 -o "$OWNER" -g "$GROUP" /dev/null "$H/wabulk.json"
[ -s "$H/wabulk.json" ] || echo '{}' > "$H/wabulk.json"

sed -e "s|@BIN@|$PREFIX/bin/wabulk|g" -e "s|@HOME@|$HOME_DIR|g" -e "s|@USER@|$USER_NAME|g" contrib/wabulk.service > "$UNIT"
chmod 0644 "$UNIT"
install -d -m 0755 "$(dirname "$SECRETS")"
if [ ! -f "$SECRETS" ]; then
  install -m 0600 /dev/null "$SECRETS"
  cat > "$SECRETS" <<'ENV'
# wabulk's secrets, read by systemd (root) for the wabulk service. Fill in, then: systemctl restart wabulk
WHATSAPP_TOKEN=
WHATSAPP_PHONE_NUMBER_ID=
WHATSAPP_BUSINESS_ACCOUNT_ID=
WHATSAPP_APP_SECRET=
WEBHOOK_VERIFY_TOKEN=
# Not a secret, for `wabulk doctor`'s webhook field check:
WHATSAPP_APP_ID=
ENV
fi
chmod 0600 "$SECRETS"
if [ "$SYSTEM" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  say "installed; fill in $SECRETS, run \`sudo -u $USER_NAME WABULK_HOME=$HOME_DIR wabulk doctor\`, then \`systemctl enable --now wabulk\`"
else
  say "installed under ${ROOT:-/}; fill in $SECRETS, run wabulk doctor, then enable the unit"
fi
