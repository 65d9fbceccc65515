#!/bin/sh
# Installs Percale's ML2 mechanism driver without pip: copies the `percale_neutron` module and a
# `percale_neutron-<version>.dist-info` (METADATA, entry_points.txt, RECORD) into a directory on
# neutron-server's Python path, which is all stevedore needs to find `mechanism_drivers = percale`.
#   install.sh [--prefix DIR] [--python PYTHON]
# DIR defaults to the first dist-packages/site-packages on the interpreter's path; on Debian that is
# /usr/local/lib/python3.X/dist-packages, the place for software dpkg does not manage.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
prefix=
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --python) python=${2:?--python needs an interpreter}; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ -z "$prefix" ]; then
  # Debian's python3 puts distribution packages in dist-packages, not site-packages.
  prefix=$("$python" -c 'import sys; print(next(p for p in sys.path if p.endswith(("dist-packages", "site-packages")) and p.startswith(sys.base_prefix)))')
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$here/pyproject.toml")
dist="$prefix/percale_neutron-$version.dist-info"
mkdir -p "$prefix/percale_neutron" "$dist"
# Remove what an older install left, so stevedore never sees two versions.
for old in "$prefix"/percale_neutron-*.dist-info; do
  [ "$old" = "$dist" ] || rm -rf "$old"
done
cp "$here"/percale_neutron/*.py "$prefix/percale_neutron/"

cat > "$dist/METADATA" <<META
Metadata-Version: 2.1
Name: percale-neutron
Version: $version
Summary: Percale's ML2 mechanism driver
META
cat > "$dist/entry_points.txt" <<ENTRY
[neutron.ml2.mechanism_drivers]
percale = percale_neutron.mech_percale:PercaleMechanismDriver
ENTRY
echo "percale_neutron" > "$dist/top_level.txt"
echo "install.sh" > "$dist/INSTALLER"
(cd "$prefix" && for f in percale_neutron/*.py "${dist##*/}"/*; do echo "$f,,"; done) > "$dist/RECORD"

"$python" -m py_compile "$prefix"/percale_neutron/*.py
echo "Installed the percale mechanism driver $version into $prefix"
