/*
 * A QEMU user-mode plugin that counts the guest instructions executed, for
 * benchmarks/arm64.sh: instruction counts say more about a Pi than emulated time.
 *
 * The guest marks points of interest by writing to file descriptor 1023 (which is
 * not open, so the write fails harmlessly): at each such write(2) the plugin appends
 * "<mark number> <instructions so far>" to the file named by its out= argument.
 * benchmarks/arm64_compare.py pairs the marks with what it was doing.
 *
 * Counting is per translated block, inline (no callback per instruction), summed over
 * all guest threads without locking: the verifier and the first stages run on one
 * thread, so the count is exact enough for what it is used for.
 *
 * Build: gcc -shared -fPIC -O2 $(pkg-config --cflags glib-2.0) -I QEMU/include/qemu
 *        -o insn_count.so insn_count.c
 * Use:   qemu-aarch64 -plugin ./insn_count.so,out=/tmp/marks.txt PROGRAM ...
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK_FD 1023
#define AARCH64_WRITE 64

static uint64_t executed;
static uint64_t marks;
static FILE *out;

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed,
                                             qemu_plugin_tb_n_insns(tb));
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1,
                       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
                       uint64_t a7, uint64_t a8)
{
    if (num == AARCH64_WRITE && a1 == MARK_FD) {
        fprintf(out, "%" PRIu64 " %" PRIu64 "\n", marks++, executed);
        fflush(out);
    }
}

static void at_end(qemu_plugin_id_t id, void *data)
{
    fprintf(out, "end %" PRIu64 "\n", executed);
    fclose(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    const char *path = "/dev/stderr";
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            path = argv[i] + 4;
        }
    }
    out = fopen(path, "w");
    if (!out) {
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_atexit_cb(id, at_end, NULL);
    return 0;
}
