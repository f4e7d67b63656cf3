# Helpers that fill an initramfs root from this host's files; sourced by
# tests/lib.sh (for the harnesses) and by tests/tools/nested-x86.sh.

# slirp_lib: the path of libslirp.so.0, which vmm loads with dlopen (empty
# when it is not installed).
slirp_lib() {
	/sbin/ldconfig -p 2>/dev/null |
		sed -n 's/^[[:space:]]*libslirp\.so\.0 (.*x86-64.*) => //p' | head -n 1
}

# root_add_libs ROOT FILE...: copy into ROOT, at the same paths, the shared
# libraries each FILE loads (FILEs that are not dynamic executables or
# libraries are passed over), and each FILE that is itself a library.
root_add_libs() {
	_root=$1
	shift
	for _lib in $( (for _f in "$@"; do
			case $_f in *.so|*.so.*) echo "$_f" ;; esac
			ldd "$_f" </dev/null 2>/dev/null || true
		done) | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p; s/^\(\/[^ ]*\)$/\1/p' |
			sort -u); do
		mkdir -p "$_root$(dirname "$_lib")"
		cp -L "$_lib" "$_root$_lib"
	done
}
