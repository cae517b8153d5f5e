// SPDX-License-Identifier: GPL-2.0
/* ZeroDrift sensor: exec/exit, filtered file opens, network, DNS payloads, per-cgroup syscall bitmaps and notable
 * syscalls, written to one ring buffer in the layout of events.h. CO-RE against the running kernel's BTF.
 *
 * Rules the programs follow:
 *  - the kernel never waits on user space: bpf_ringbuf_output fails when the buffer is full, and the failure is
 *    counted per event type in zd_lost (per-CPU), which user space reports;
 *  - filtering happens here (opens: writes/creates, sensitive prefixes, per-cgroup watch flags; network: only
 *    AF_INET/AF_INET6; DNS: only UDP port 53) so ordinary reads never reach user space;
 *  - the agent's own process is skipped (zd_config.agent_tgid) so its output never feeds back into the stream.
 *
 * Enforcement is a separate object (enforce.bpf.c); lineage.h classes a process's parent (in the container, the
 * runtime's entry, its exec path) for both, so the exec records say what enforcement decides on. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "events.h"
#include "lineage.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define TMPFS_MAGIC 0x01021994
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_TRUNC 01000
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define EVBUF 2048          /* per-CPU event assembly buffer */
#define PATHBUF 4096        /* reverse path building area */
#define PATH_COMPONENTS 32
#define NPREFIX 16
#define PREFIX_WORDS 8      /* prefixes up to 64 bytes */
#define WATCH_ALL_OPENS 1

struct zd_config {
	__u32 agent_tgid;
	__u32 watching;     /* cgroups in zd_watch: 0 skips that hash lookup on every open */
	__u32 enabled;      /* bit (1 << type) per enabled event type; 0 means all */
	__u32 wakeup_bytes; /* wake the reader once this much is pending; below it, the reader's timer collects */
	__u32 watch_gen;    /* bumped after every zd_watch change: per-CPU copies of older generations are stale */
	__u32 pad;
};

struct zd_prefix {
	__u32 len;
	__u32 pad;
	__u64 words[PREFIX_WORDS];
};

/* All prefixes in one value: one map lookup per open, then comparisons in registers (most fail on the first word). */
struct zd_prefix_set {
	__u32 count;
	__u32 pad;
	struct zd_prefix p[NPREFIX];
	/* The distinct first 4 bytes of the prefixes (masked for shorter ones): a read-only open whose path starts
	 * with none of them (most: /usr, /lib, /proc/self, relative paths) is dismissed after a 4-byte read. */
	__u32 nheads;
	__u32 pad2;
	__u32 heads[NPREFIX];
	__u32 head_masks[NPREFIX];
};

struct zd_syscalls {
	__u64 bits[8];      /* syscall numbers 0..511 */
};

/* Per-thread state carried from a syscall's entry to its exit. */
struct zd_stash {
	__u32 kind;
	__s32 fd;
	__u64 ptr;          /* user buffer (recvfrom) or msghdr (recvmsg) */
	__u64 ptr2;         /* user sockaddr (recvfrom) */
	__u32 flags, mode;
	__u16 reason, path_len;
	__u32 backlog;
	__u8 sockaddr[28];
	__u32 pad;
	__u64 path[ZD_PATH_MAX / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* overridden by --ringbuf-size before load */
} zd_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZD_TYPE_MAX);
	__type(key, __u32);
	__type(value, __u64);
} zd_lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zd_config);
} zd_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zd_prefix_set);
} zd_prefixes SEC(".maps");

/* cgroup id -> WATCH_* flags, set by the engine for the workloads it wants to see in more detail. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} zd_watch SEC(".maps");

/* Per-CPU copy of the watch flags of the cgroup last seen opening on this CPU: while cgroups are watched (the
 * agent watches every container in Learn and Monitor), an open of the same cgroup as the last one costs an array
 * look-up instead of a hash look-up. Valid only for the generation it was read in. */
struct zd_watch_cache {
	__u64 cgroup;
	__u32 gen;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zd_watch_cache);
} zd_watch_cache SEC(".maps");

/* cgroup id -> the syscalls its processes used (seccomp generation); read by user space, never streamed. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct zd_syscalls);
} zd_syscalls SEC(".maps");

/* Per-CPU copy of the bits last set for the cgroup last seen on this CPU: the common case (same cgroup, bit
 * already set) then costs an array lookup instead of a hash lookup on every syscall. A stale copy only means
 * an extra hash update. */
struct zd_sc_cache {
	__u64 cgroup;
	__u64 bits[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zd_sc_cache);
} zd_sc_cache SEC(".maps");

/* syscall nr -> what to report at its exit (NOTABLE_* below; 0 ignore). Filled by user space (NotableSyscalls.cs). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u32);
} zd_notable SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct zd_stash);
} zd_stash SEC(".maps");

/* (tgid << 32 | fd) of UDP sockets connected to port 53: resolvers that write()/read() a connected socket
 * (busybox, some musl paths) are found with one lookup instead of an fd-table walk on every read and write.
 * Entries outlive a close; the socket's peer is checked again before anything is reported. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u8);
} zd_dns_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[EVBUF]);
} zd_evbuf SEC(".maps");

struct zd_walk {
	__u64 dentry;
	__u64 mnt;
	__u32 pos;
	__u32 pad;
	char buf[PATHBUF + 256];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zd_walk);
} zd_pathbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zd_stash);
} zd_stash_tmp SEC(".maps");

/* Syscall arguments from the pt_regs the raw sys_enter tracepoint passes (x86_64 syscall convention). */
#define ARG1(regs) PT_REGS_PARM1_CORE_SYSCALL(regs)
#define ARG2(regs) PT_REGS_PARM2_CORE_SYSCALL(regs)
#define ARG3(regs) PT_REGS_PARM3_CORE_SYSCALL(regs)
#define ARG4(regs) PT_REGS_PARM4_CORE_SYSCALL(regs)
#define ARG5(regs) PT_REGS_PARM5_CORE_SYSCALL(regs)

static const __u32 zero = 0;

static __always_inline struct zd_config *zd_cfg(void)
{
	return bpf_map_lookup_elem(&zd_config, &zero);
}

/* Whether this event type is wanted and the current process is not the agent itself. */
static __always_inline int wanted(__u32 type)
{
	struct zd_config *c = zd_cfg();
	if (!c)
		return 0;
	if (c->agent_tgid && (bpf_get_current_pid_tgid() >> 32) == c->agent_tgid)
		return 0;
	return c->enabled == 0 || (c->enabled & (1u << type));
}

static __always_inline void *evbuf(void)
{
	return bpf_map_lookup_elem(&zd_evbuf, &zero);
}

static __always_inline void fill_hdr(struct zd_hdr *h, __u16 type)
{
	__u64 id = bpf_get_current_pid_tgid();
	h->version = ZD_VERSION;
	h->type = type;
	h->ktime = bpf_ktime_get_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = (__u32)id;
	h->tgid = id >> 32;
}

static __always_inline void emit(void *ev, __u64 size, __u32 type)
{
	if (size > EVBUF)
		size = EVBUF;
	((struct zd_hdr *)ev)->size = size;
	/* No wakeup per record (a context switch each, at high rates the main cost): user space polls every few
	 * milliseconds anyway, and a backlog past wakeup_bytes wakes it at once. */
	struct zd_config *c = zd_cfg();
	__u64 threshold = c ? c->wakeup_bytes : 0;
	__u64 flags = bpf_ringbuf_query(&zd_events, BPF_RB_AVAIL_DATA) >= threshold ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&zd_events, ev, size, flags)) {
		__u64 *lost = bpf_map_lookup_elem(&zd_lost, &type);
		if (lost)
			*lost += 1;
	}
}

/* One step of the walk up the dentry tree. bpf_loop runs it, and the walk's state lives in a map value rather
 * than on the stack, so the verifier checks the body once instead of once per possible position. */
static long path_step(__u32 i, void *unused)
{
	struct zd_walk *w = bpf_map_lookup_elem(&zd_pathbuf, &zero);
	if (!w)
		return 1;
	struct dentry *dentry = (void *)w->dentry;
	struct mount *mnt = (void *)w->mnt;
	struct dentry *root = BPF_CORE_READ(mnt, mnt.mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	/* A pseudo dentry (memfd, anonymous files) is its own parent without being a mount's root: its name is
	 * the whole path ("memfd:NAME"). Take it as the last component. */
	int pseudo = dentry == parent && dentry != root;
	if (!pseudo && (dentry == root || dentry == parent)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt || !up)
			return 1;
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)up;
		return 0;
	}
	__u32 len = BPF_CORE_READ(dentry, d_name.len);
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	if (len > 255)
		len = 255;
	__u32 pos = w->pos;
	if (pos > PATHBUF - 1 || len + 1 > pos)
		return 1;
	pos -= len;
	barrier_var(len);
	bpf_probe_read_kernel(&w->buf[pos & (PATHBUF - 1)], len & 255, name);
	pos -= 1;
	w->buf[pos & (PATHBUF - 1)] = '/';
	w->pos = pos;
	w->dentry = (__u64)parent;
	return pseudo;
}

/* Writes the path of (dentry, vfsmount) to dst (at most ZD_PATH_MAX - 1 bytes, no NUL); returns its length.
 * The walk goes from the dentry up through its mounts to the root of the task's mount namespace, which for a
 * container is its own root, so paths read as the container sees them. */
static __always_inline __u32 read_path(struct dentry *dentry, struct vfsmount *vfsmnt, char *dst)
{
	struct zd_walk *w = bpf_map_lookup_elem(&zd_pathbuf, &zero);
	if (!w)
		return 0;
	w->dentry = (__u64)dentry;
	w->mnt = (__u64)container_of(vfsmnt, struct mount, mnt);
	w->pos = PATHBUF - 1;
	bpf_loop(PATH_COMPONENTS, path_step, 0, 0);
	__u32 pos = w->pos;
	if (pos > PATHBUF - 1)
		return 0;
	__u32 len = PATHBUF - 1 - pos;
	if (len == 0) {
		dst[0] = '/';
		return 1;
	}
	if (len > ZD_PATH_MAX - 1)
		len = ZD_PATH_MAX - 1;
	/* Keep the mask: without the barrier clang drops it after the clamp and the verifier loses the bound. */
	barrier_var(len);
	len &= ZD_PATH_MAX - 1;
	bpf_probe_read_kernel(dst, len, &w->buf[pos & (PATHBUF - 1)]);
	return len;
}

/* A capability set (kernel_cap_t: one u64 since 6.3, two u32 before; both read as 8 little-endian bytes). */
static __always_inline __u64 cap_bits(const kernel_cap_t *set)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), set);
	return v;
}

/* The fields added in layout version 2: what Falco's proc.vpid/vpgid/sid/tty, thread.cap_*, user.loginuid and
 * proc.exe_ino.mtime/ctime read, and the executable's size and mtime, which key the agent's content-hash cache. */
static __always_inline void exec_ids(struct zd_exec *ev, struct task_struct *task, struct inode *inode)
{
	ev->exe_size = BPF_CORE_READ(inode, i_size);
	ev->exe_mtime_ns = BPF_CORE_READ(inode, i_mtime_sec) * 1000000000LL + BPF_CORE_READ(inode, i_mtime_nsec);
	ev->exe_ctime_ns = BPF_CORE_READ(inode, i_ctime_sec) * 1000000000LL + BPF_CORE_READ(inode, i_ctime_nsec);
	const struct cred *cred = BPF_CORE_READ(task, cred);
	ev->cap_permitted = cap_bits(&cred->cap_permitted);
	ev->cap_effective = cap_bits(&cred->cap_effective);
	ev->cap_inheritable = cap_bits(&cred->cap_inheritable);
	struct pid *self = BPF_CORE_READ(task, thread_pid);
	__u32 level = BPF_CORE_READ(self, level);
	ev->vpid = zd_pid_nr_at(self, level);
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	ev->vpgid = zd_pid_nr_at(BPF_CORE_READ(sig, pids[PIDTYPE_PGID]), level);
	ev->vsid = zd_pid_nr_at(BPF_CORE_READ(sig, pids[PIDTYPE_SID]), level);
	struct tty_struct *tty = BPF_CORE_READ(sig, tty);
	ev->tty = 0;
	if (tty) {
		__u32 major = BPF_CORE_READ(tty, driver, major);
		__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
		ev->tty = (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
	}
	ev->loginuid = BPF_CORE_READ(task, loginuid.val);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(zd_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!wanted(ZD_EXEC))
		return 0;
	char *buf = evbuf();
	if (!buf)
		return 0;
	struct zd_exec *ev = (void *)buf;
	fill_hdr(&ev->h, ZD_EXEC);
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = BPF_CORE_READ(task, cred, uid.val);
	ev->gid = BPF_CORE_READ(task, cred, gid.val);
	ev->euid = BPF_CORE_READ(task, cred, euid.val);
	ev->pid_ns = BPF_CORE_READ(task, nsproxy, pid_ns_for_children, ns.inum);
	ev->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);

	struct file *file = BPF_CORE_READ(bprm, file);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	ev->exe_ino = BPF_CORE_READ(inode, i_ino);
	ev->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	__u32 flags = 0;
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);
	unsigned int nlink = BPF_CORE_READ(inode, i_nlink);
	if (magic == OVERLAYFS_SUPER_MAGIC) {
		flags |= ZD_EXE_OVERLAY;
		struct ovl_inode *oi = container_of(inode, struct ovl_inode, vfs_inode);
		if (BPF_CORE_READ(oi, __upperdentry))
			flags |= ZD_EXE_UPPER;
	} else if (magic == TMPFS_MAGIC && nlink == 0) {
		flags |= ZD_EXE_MEMFD;
	}
	if (nlink == 0)
		flags |= ZD_EXE_DELETED;
	ev->exe_flags = flags;
	exec_ids(ev, task, inode);
	struct inode *pinode = BPF_CORE_READ(task, real_parent, mm, exe_file, f_inode);
	ev->parent_exe_ino = pinode ? BPF_CORE_READ(pinode, i_ino) : 0;
	ev->parent_exe_dev = pinode ? BPF_CORE_READ(pinode, i_sb, s_dev) : 0;
	struct task_struct *known;
	ev->parent_class = zd_parent_class(task, ev->h.cgroup_id, &known);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));

	__u32 off = sizeof(*ev);
	__u32 plen = read_path(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), &buf[off]);
	ev->path_len = plen;
	off += plen;

	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long arg_start = BPF_CORE_READ(mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(mm, arg_end);
	__u32 alen = arg_end > arg_start ? arg_end - arg_start : 0;
	ev->args_truncated = alen > ZD_ARGS_MAX;
	if (alen > ZD_ARGS_MAX)
		alen = ZD_ARGS_MAX;
	off &= 1023;
	alen &= (ZD_ARGS_MAX - 1) | ZD_ARGS_MAX;
	if (alen > ZD_ARGS_MAX)
		alen = ZD_ARGS_MAX;
	if (bpf_probe_read_user(&buf[off], alen, (void *)arg_start))
		alen = 0;
	ev->args_len = alen;
	off += alen;

	off &= 1023;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	__u32 clen = read_path(BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), &buf[off]);
	ev->cwd_len = clen;
	off += clen;

	/* The environment, bounded like argv; the offset is at most 152 + 255 + 512 + 255 here. */
	unsigned long env_start = BPF_CORE_READ(mm, env_start);
	unsigned long env_end = BPF_CORE_READ(mm, env_end);
	__u32 elen = env_end > env_start ? env_end - env_start : 0;
	ev->env_truncated = elen > ZD_ENV_MAX;
	if (elen > ZD_ENV_MAX)
		elen = ZD_ENV_MAX;
	if (off > EVBUF - ZD_ENV_MAX)
		off = EVBUF - ZD_ENV_MAX;
	barrier_var(off);
	off &= EVBUF - 1;
	if (off > EVBUF - ZD_ENV_MAX)
		off = EVBUF - ZD_ENV_MAX;
	barrier_var(elen);
	elen &= (ZD_ENV_MAX - 1) | ZD_ENV_MAX;
	if (elen > ZD_ENV_MAX)
		elen = ZD_ENV_MAX;
	if (bpf_probe_read_user(&buf[off], elen, (void *)env_start))
		elen = 0;
	ev->env_len = elen;
	off += elen;
	emit(buf, off, ZD_EXEC);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(zd_exit, struct task_struct *task, bool group_dead)
{
	/* One record per process (when its last thread goes), not one per thread. */
	if (!group_dead || !wanted(ZD_EXIT))
		return 0;
	char *buf = evbuf();
	if (!buf)
		return 0;
	struct zd_exit *ev = (void *)buf;
	fill_hdr(&ev->h, ZD_EXIT);
	ev->exit_code = BPF_CORE_READ(task, exit_code);
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	emit(buf, sizeof(*ev), ZD_EXIT);
	return 0;
}

/* ---------------------------------------------------------------- file opens */

static __always_inline int head_may_match(__u32 head)
{
	struct zd_prefix_set *set = bpf_map_lookup_elem(&zd_prefixes, &zero);
	if (!set)
		return 0;
	__u32 n = set->nheads;
	for (__u32 i = 0; i < NPREFIX; i++) {
		if (i >= n)
			break;
		if ((head & set->head_masks[i]) == set->heads[i])
			return 1;
	}
	return 0;
}

static __always_inline int sensitive(struct zd_stash *s)
{
	struct zd_prefix_set *set = bpf_map_lookup_elem(&zd_prefixes, &zero);
	if (!set)
		return 0;
	__u32 n = set->count;
	for (__u32 i = 0; i < NPREFIX; i++) {
		if (i >= n)
			break;
		struct zd_prefix *p = &set->p[i];
		__u32 len = p->len;
		if (len == 0 || len > PREFIX_WORDS * 8)
			continue;
		int match = 1;
		for (__u32 w = 0; w < PREFIX_WORDS; w++) {
			if (w * 8 >= len)
				break;
			__u32 rest = len - w * 8;
			__u64 mask = rest >= 8 ? ~0ULL : ((1ULL << (rest * 8)) - 1);
			if ((s->path[w] ^ p->words[w]) & mask) {
				match = 0;
				break;
			}
		}
		if (match)
			return 1;
	}
	return 0;
}

/* Bytes read of a read-only open's path for the sensitive-prefix test: the longest prefix (64 bytes) and one word
 * more, so most opens cost a short bounded read instead of the whole path. */
#define PREFIX_PROBE (PREFIX_WORDS * 8 + 8)

enum { OPEN_AT, OPEN_PLAIN, OPEN_CREAT, OPEN_AT2 };

/* Each syscall argument is a read of the saved registers (a helper call under raw_tp): read the flags first and
 * the rest only for an open that is reported. */
static __always_inline int open_enter(struct pt_regs *regs, int call)
{
	if (!wanted(ZD_OPEN))
		return 0;
	struct open_how how = {};
	__u32 flags;
	if (call == OPEN_AT)
		flags = ARG3(regs);
	else if (call == OPEN_PLAIN)
		flags = ARG2(regs);
	else if (call == OPEN_CREAT)
		flags = O_CREAT | O_WRONLY | O_TRUNC;
	else if (bpf_probe_read_user(&how, sizeof(how), (const void *)ARG3(regs)) == 0)
		flags = how.flags;
	else
		return 0;
	const char *filename = (const char *)(call == OPEN_AT || call == OPEN_AT2 ? ARG2(regs) : ARG1(regs));
	struct zd_stash *s = bpf_map_lookup_elem(&zd_stash_tmp, &zero);
	if (!s)
		return 0;
	/* Cheapest tests first: the flags are in a register, the watch flag one hash lookup away; only then is user
	 * memory read, and for a plain read only a short prefix of it. */
	__u16 reason = 0;
	int writes = flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC);
	struct zd_config *c = zd_cfg();
	if (c && c->watching) {
		__u64 cg = bpf_get_current_cgroup_id();
		__u32 gen = c->watch_gen, wflags;
		struct zd_watch_cache *wc = bpf_map_lookup_elem(&zd_watch_cache, &zero);
		if (wc && wc->cgroup == cg && wc->gen == gen) {
			wflags = wc->flags;
		} else {
			/* User space updates zd_watch before it bumps the generation, so a copy tagged with the new
			 * generation never holds the old flags. */
			__u32 *watch = bpf_map_lookup_elem(&zd_watch, &cg);
			wflags = watch ? *watch : 0;
			if (wc) {
				wc->cgroup = cg;
				wc->gen = gen;
				wc->flags = wflags;
			}
		}
		if (wflags & WATCH_ALL_OPENS)
			reason |= ZD_OPEN_WATCHED;
	}
	long n;
	if (writes || reason) {
		n = bpf_probe_read_user_str(s->path, sizeof(s->path), filename);
		if (n <= 0)
			return 0;
		/* "/dev/null" opened for writing is every shell redirection; it tells nothing. */
		if (writes && !(n == 10 && s->path[0] == 0x6c756e2f7665642fULL && (s->path[1] & 0xffff) == 0x6c))
			reason |= ZD_OPEN_WRITE;
		if (sensitive(s))
			reason |= ZD_OPEN_SENSITIVE;
	} else {
		__u64 head = 0;
		if (bpf_probe_read_user_str(&head, 5, filename) <= 0 || !head_may_match((__u32)head))
			return 0;
		n = bpf_probe_read_user_str(s->path, PREFIX_PROBE, filename);
		if (n <= 0 || !sensitive(s))
			return 0;
		reason |= ZD_OPEN_SENSITIVE;
		if (n == PREFIX_PROBE) {
			/* Longer than the probe: read the whole path for the record. */
			n = bpf_probe_read_user_str(s->path, sizeof(s->path), filename);
			if (n <= 0)
				return 0;
		}
	}
	if (!reason)
		return 0;
	s->kind = ZD_OPEN;
	s->fd = call == OPEN_AT || call == OPEN_AT2 ? (__s32)ARG1(regs) : -100 /* AT_FDCWD */;
	s->flags = flags;
	s->mode = call == OPEN_AT ? ARG4(regs) : call == OPEN_AT2 ? how.mode : call == OPEN_PLAIN ? ARG3(regs) : ARG2(regs);
	s->reason = reason;
	s->path_len = n - 1;
	__u64 id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&zd_stash, &id, s, BPF_ANY);
	return 0;
}

static __always_inline int open_exit(__s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zd_stash *s = bpf_map_lookup_elem(&zd_stash, &id);
	if (!s)
		return 0;
	if (s->kind != ZD_OPEN) {
		bpf_map_delete_elem(&zd_stash, &id);
		return 0;
	}
	char *buf = evbuf();
	if (!buf) {
		bpf_map_delete_elem(&zd_stash, &id);
		return 0;
	}
	struct zd_open *ev = (void *)buf;
	fill_hdr(&ev->h, ZD_OPEN);
	ev->ret = ret;
	ev->flags = s->flags;
	ev->mode = s->mode;
	ev->dirfd = s->fd;
	ev->reason = s->reason;
	ev->pad = 0;
	__u32 len = s->path_len & (ZD_PATH_MAX - 1);
	ev->path_len = len;
	bpf_probe_read_kernel(&buf[sizeof(*ev)], len, s->path);
	bpf_map_delete_elem(&zd_stash, &id);
	emit(buf, sizeof(*ev) + len, ZD_OPEN);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(zd_openat_enter, struct pt_regs *regs, long nr)
{
	return open_enter(regs, OPEN_AT);
}

SEC("raw_tp")
int BPF_PROG(zd_openat_exit, struct pt_regs *regs, long ret)
{
	return open_exit(ret);
}

SEC("raw_tp")
int BPF_PROG(zd_open_enter, struct pt_regs *regs, long nr)
{
	return open_enter(regs, OPEN_PLAIN);
}

SEC("raw_tp")
int BPF_PROG(zd_open_exit, struct pt_regs *regs, long ret)
{
	return open_exit(ret);
}

SEC("raw_tp")
int BPF_PROG(zd_creat_enter, struct pt_regs *regs, long nr)
{
	return open_enter(regs, OPEN_CREAT);
}

SEC("raw_tp")
int BPF_PROG(zd_openat2_enter, struct pt_regs *regs, long nr)
{
	return open_enter(regs, OPEN_AT2);
}

/* ---------------------------------------------------------------- network */

static __always_inline struct file *file_of_fd(struct task_struct *task, __s32 fd)
{
	if (fd < 0)
		return 0;
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned int)fd >= max)
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

static __always_inline struct sock *sock_of_fd(__s32 fd)
{
	struct file *file = file_of_fd((void *)bpf_get_current_task(), fd);
	if (!file)
		return 0;
	umode_t imode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((imode & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* Fills protocol, type, local address and port, and (when connected) the peer, from the socket. */
static __always_inline __u16 fill_from_sock(struct zd_net *ev, struct sock *sk, int with_peer)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev->family = family;
	ev->protocol = BPF_CORE_READ(sk, sk_protocol);
	ev->sock_type = BPF_CORE_READ(sk, sk_type);
	ev->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET) {
		bpf_probe_read_kernel(ev->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		if (with_peer)
			bpf_probe_read_kernel(ev->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (family == AF_INET6) {
		bpf_probe_read_kernel(ev->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		if (with_peer)
			bpf_probe_read_kernel(ev->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	if (with_peer)
		ev->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	return family;
}

/* Reads a user sockaddr_in/in6 into family, port (host order) and a 16-byte address. */
static __always_inline __u16 parse_sockaddr(const __u8 *sa, __u16 *port, __u8 *addr)
{
	__u16 family = *(__u16 *)sa;
	*port = ((__u16)sa[2] << 8) | sa[3];
	if (family == AF_INET)
		__builtin_memcpy(addr, sa + 4, 4);
	else if (family == AF_INET6)
		__builtin_memcpy(addr, sa + 8, 16);
	return family;
}

static __always_inline int stash_sockaddr(__u32 kind, __s32 fd, const void *uaddr, __u32 backlog)
{
	if (!wanted(kind))
		return 0;
	struct zd_stash *s = bpf_map_lookup_elem(&zd_stash_tmp, &zero);
	if (!s)
		return 0;
	__builtin_memset(s->sockaddr, 0, sizeof(s->sockaddr));
	if (uaddr) {
		bpf_probe_read_user(s->sockaddr, sizeof(s->sockaddr), uaddr);
		__u16 family = *(__u16 *)s->sockaddr;
		if (family != AF_INET && family != AF_INET6)
			return 0;
	}
	s->kind = kind;
	s->fd = fd;
	s->backlog = backlog;
	__u64 id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&zd_stash, &id, s, BPF_ANY);
	return 0;
}

static __always_inline int net_exit(__u32 kind, __s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zd_stash *s = bpf_map_lookup_elem(&zd_stash, &id);
	if (!s)
		return 0;
	if (s->kind != kind) {
		bpf_map_delete_elem(&zd_stash, &id);
		return 0;
	}
	struct zd_net *ev = evbuf();
	if (!ev) {
		bpf_map_delete_elem(&zd_stash, &id);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	fill_hdr(&ev->h, kind);
	ev->ret = ret;
	ev->backlog = s->backlog;
	__s32 s_fd = s->fd;
	struct sock *sk = sock_of_fd(s_fd);
	__u16 family = 0;
	if (sk)
		family = fill_from_sock(ev, sk, 0);
	if (kind == ZD_CONNECT) {
		family = parse_sockaddr(s->sockaddr, &ev->rport, ev->raddr);
	} else if (kind == ZD_BIND) {
		__u16 port;
		__u8 addr[16] = {};
		family = parse_sockaddr(s->sockaddr, &port, addr);
		if (ret != 0 || ev->lport == 0) {
			ev->lport = port;
			__builtin_memcpy(ev->laddr, addr, 16);
		}
	}
	bpf_map_delete_elem(&zd_stash, &id);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	ev->family = family;
	if (kind == ZD_CONNECT && ev->rport == 53 && (ev->protocol == IPPROTO_UDP || ev->protocol == IPPROTO_TCP) && (ret == 0 || ret == -115)) {
		__u64 key = (id & 0xffffffff00000000ULL) | (__u32)s_fd;
		__u8 one = 1;
		bpf_map_update_elem(&zd_dns_socks, &key, &one, BPF_ANY);
	}
	emit(ev, sizeof(*ev), kind);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(zd_connect_enter, struct pt_regs *regs, long nr)
{
	return stash_sockaddr(ZD_CONNECT, ARG1(regs), (const void *)ARG2(regs), 0);
}

SEC("raw_tp")
int BPF_PROG(zd_connect_exit, struct pt_regs *regs, long ret)
{
	return net_exit(ZD_CONNECT, ret);
}

SEC("raw_tp")
int BPF_PROG(zd_bind_enter, struct pt_regs *regs, long nr)
{
	return stash_sockaddr(ZD_BIND, ARG1(regs), (const void *)ARG2(regs), 0);
}

SEC("raw_tp")
int BPF_PROG(zd_bind_exit, struct pt_regs *regs, long ret)
{
	return net_exit(ZD_BIND, ret);
}

SEC("raw_tp")
int BPF_PROG(zd_listen_enter, struct pt_regs *regs, long nr)
{
	return stash_sockaddr(ZD_LISTEN, ARG1(regs), 0, ARG2(regs));
}

SEC("raw_tp")
int BPF_PROG(zd_listen_exit, struct pt_regs *regs, long ret)
{
	return net_exit(ZD_LISTEN, ret);
}

/* Accepts are reported when they succeed (a non-blocking server's EAGAIN loop would otherwise flood). */
static __always_inline int accept_exit(__s64 ret)
{
	if (ret < 0 || !wanted(ZD_ACCEPT))
		return 0;
	struct sock *sk = sock_of_fd(ret);
	if (!sk)
		return 0;
	struct zd_net *ev = evbuf();
	if (!ev)
		return 0;
	__builtin_memset(ev, 0, sizeof(*ev));
	fill_hdr(&ev->h, ZD_ACCEPT);
	ev->ret = ret;
	__u16 family = fill_from_sock(ev, sk, 1);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	emit(ev, sizeof(*ev), ZD_ACCEPT);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(zd_accept_exit, struct pt_regs *regs, long ret)
{
	return accept_exit(ret);
}

SEC("raw_tp")
int BPF_PROG(zd_accept4_exit, struct pt_regs *regs, long ret)
{
	return accept_exit(ret);
}

/* ---------------------------------------------------------------- DNS over UDP and TCP port 53 */

/* The peer of a message: for UDP the explicit address if the call gave one, else the connected peer; for TCP
 * the connected peer (DNS over TCP: each message prefixed by its 16-bit length, RFC 1035 4.2.2). */
static __always_inline int dns_peer(struct sock *sk, const void *uaddr, struct zd_dns *ev)
{
	__u8 protocol = BPF_CORE_READ(sk, sk_protocol);
	if (protocol != IPPROTO_UDP && protocol != IPPROTO_TCP)
		return 0;
	ev->protocol = protocol;
	__u8 sa[28] = {};
	if (protocol == IPPROTO_UDP && uaddr && bpf_probe_read_user(sa, sizeof(sa), uaddr) == 0 && (*(__u16 *)sa == AF_INET || *(__u16 *)sa == AF_INET6)) {
		ev->family = parse_sockaddr(sa, &ev->rport, ev->raddr);
	} else {
		__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
		ev->family = family;
		ev->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (family == AF_INET)
			bpf_probe_read_kernel(ev->raddr, 4, &sk->__sk_common.skc_daddr);
		else if (family == AF_INET6)
			bpf_probe_read_kernel(ev->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	ev->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	return ev->rport == 53;
}

static __always_inline int dns_emit(__s32 fd, const void *uaddr, const void *payload, __u64 len, __u16 direction)
{
	struct sock *sk = sock_of_fd(fd);
	if (!sk)
		return 0;
	struct zd_dns *ev = evbuf();
	if (!ev)
		return 0;
	__builtin_memset(ev, 0, sizeof(*ev));
	if (!dns_peer(sk, uaddr, ev))
		return 0;
	/* A TCP client may write the 2-byte length on its own: nothing to read in it (user space parses the message
	 * that follows without the prefix). */
	if (ev->protocol == IPPROTO_TCP && len <= 2)
		return 0;
	fill_hdr(&ev->h, ZD_DNS);
	ev->direction = direction;
	ev->orig_len = len;
	__u32 n = len > ZD_DNS_MAX ? ZD_DNS_MAX : len;
	n &= (ZD_DNS_MAX - 1) | ZD_DNS_MAX;
	if (n > ZD_DNS_MAX)
		n = ZD_DNS_MAX;
	if (bpf_probe_read_user((char *)ev + sizeof(*ev), n, payload))
		return 0;
	ev->payload_len = n;
	emit(ev, sizeof(*ev) + n, ZD_DNS);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(zd_sendto_enter, struct pt_regs *regs, long nr)
{
	if (!wanted(ZD_DNS))
		return 0;
	return dns_emit(ARG1(regs), (const void *)ARG5(regs), (const void *)ARG2(regs), ARG3(regs), 0);
}

static __always_inline int dns_send_msghdr(__s32 fd, struct user_msghdr *umsg)
{
	struct user_msghdr msg;
	if (bpf_probe_read_user(&msg, sizeof(msg), umsg))
		return 0;
	if (!msg.msg_iov || msg.msg_iovlen < 1)
		return 0;
	struct iovec iov;
	if (bpf_probe_read_user(&iov, sizeof(iov), msg.msg_iov))
		return 0;
	return dns_emit(fd, msg.msg_name, iov.iov_base, iov.iov_len, 0);
}

SEC("raw_tp")
int BPF_PROG(zd_sendmsg_enter, struct pt_regs *regs, long nr)
{
	if (!wanted(ZD_DNS))
		return 0;
	return dns_send_msghdr(ARG1(regs), (struct user_msghdr *)ARG2(regs));
}

/* glibc's resolver sends the A and AAAA questions together with sendmmsg. */
SEC("raw_tp")
int BPF_PROG(zd_sendmmsg_enter, struct pt_regs *regs, long nr)
{
	if (!wanted(ZD_DNS))
		return 0;
	struct mmsghdr *vec = (struct mmsghdr *)ARG2(regs);
	__u32 vlen = ARG3(regs);
	if (vlen > 0)
		dns_send_msghdr(ARG1(regs), &vec[0].msg_hdr);
	if (vlen > 1)
		dns_send_msghdr(ARG1(regs), &vec[1].msg_hdr);
	return 0;
}

#define STASH_RECVFROM 100
#define STASH_RECVMSG 101

static __always_inline int stash_recv(__u32 kind, __s32 fd, __u64 ptr, __u64 ptr2)
{
	if (!wanted(ZD_DNS))
		return 0;
	struct sock *sk = sock_of_fd(fd);
	if (!sk)
		return 0;
	/* UDP: the peer is known only when the datagram arrives. TCP: only streams to port 53, so ordinary TCP
	 * reads cost no map update. */
	__u8 protocol = BPF_CORE_READ(sk, sk_protocol);
	if (protocol == IPPROTO_TCP) {
		if (BPF_CORE_READ(sk, __sk_common.skc_dport) != bpf_htons(53))
			return 0;
	} else if (protocol != IPPROTO_UDP) {
		return 0;
	}
	struct zd_stash *s = bpf_map_lookup_elem(&zd_stash_tmp, &zero);
	if (!s)
		return 0;
	s->kind = kind;
	s->fd = fd;
	s->ptr = ptr;
	s->ptr2 = ptr2;
	__u64 id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&zd_stash, &id, s, BPF_ANY);
	return 0;
}

SEC("raw_tp")
int BPF_PROG(zd_recvfrom_enter, struct pt_regs *regs, long nr)
{
	return stash_recv(STASH_RECVFROM, ARG1(regs), ARG2(regs), ARG5(regs));
}

static __always_inline int recvfrom_exit(__s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zd_stash *s = bpf_map_lookup_elem(&zd_stash, &id);
	if (!s)
		return 0;
	__u32 kind = s->kind;
	__s32 fd = s->fd;
	__u64 buf = s->ptr, addr = s->ptr2;
	bpf_map_delete_elem(&zd_stash, &id);
	if (kind != STASH_RECVFROM || ret <= 0)
		return 0;
	return dns_emit(fd, (const void *)addr, (const void *)buf, ret, 1);
}

SEC("raw_tp")
int BPF_PROG(zd_recvfrom_exit, struct pt_regs *regs, long ret)
{
	return recvfrom_exit(ret);
}

static __always_inline int is_dns_sock(__s32 fd)
{
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (__u32)fd;
	return bpf_map_lookup_elem(&zd_dns_socks, &key) != 0;
}

SEC("raw_tp")
int BPF_PROG(zd_write_enter, struct pt_regs *regs, long nr)
{
	__s32 fd = ARG1(regs);
	if (!is_dns_sock(fd) || !wanted(ZD_DNS))
		return 0;
	return dns_emit(fd, 0, (const void *)ARG2(regs), ARG3(regs), 0);
}

SEC("raw_tp")
int BPF_PROG(zd_read_enter, struct pt_regs *regs, long nr)
{
	__s32 fd = ARG1(regs);
	if (!is_dns_sock(fd))
		return 0;
	return stash_recv(STASH_RECVFROM, fd, ARG2(regs), 0);
}

SEC("raw_tp")
int BPF_PROG(zd_recvmsg_enter, struct pt_regs *regs, long nr)
{
	return stash_recv(STASH_RECVMSG, ARG1(regs), ARG2(regs), 0);
}

static __always_inline int recvmsg_exit(__s64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct zd_stash *s = bpf_map_lookup_elem(&zd_stash, &id);
	if (!s)
		return 0;
	__u32 kind = s->kind;
	__s32 fd = s->fd;
	struct user_msghdr *umsg = (void *)s->ptr;
	bpf_map_delete_elem(&zd_stash, &id);
	if (kind != STASH_RECVMSG || ret <= 0)
		return 0;
	struct user_msghdr msg;
	if (bpf_probe_read_user(&msg, sizeof(msg), umsg) || !msg.msg_iov || msg.msg_iovlen < 1)
		return 0;
	struct iovec iov;
	if (bpf_probe_read_user(&iov, sizeof(iov), msg.msg_iov))
		return 0;
	__u64 len = ret < iov.iov_len ? ret : iov.iov_len;
	return dns_emit(fd, msg.msg_name, iov.iov_base, len, 1);
}

SEC("raw_tp")
int BPF_PROG(zd_recvmsg_exit, struct pt_regs *regs, long ret)
{
	return recvmsg_exit(ret);
}

/* ---------------------------------------------------------------- syscalls: bitmap and notable calls */

/* ---------------------------------------------------------------- notable syscalls, at their exit */

/* zd_notable's value per syscall: what to read of its arguments (argument index + 1 in each nibble, 0 none). */
#define NOTABLE_REPORT (1u << 16)
#define NOTABLE_PATH1 (1u << 17)   /* string 1 is a path: a relative one comes with its directory */
#define NOTABLE_PATH2 (1u << 18)
#define NOTABLE_INET_SOCKET (1u << 19) /* socket(): AF_UNIX/INET/INET6/NETLINK are left to connect/bind/... */
#define NOTABLE_ENTRY (1u << 20)   /* no exit trace event on this kernel: reported at entry, without a result */
#define NOTABLE_STD_SOCKET (1u << 21) /* dup*: only a socket duplicated onto descriptor 0, 1 or 2 (args[5]: its family) */
#define ZD_SC_AT_ENTRY 1           /* zd_syscall.flags */
#define NOTABLE_STR1(v) ((v) & 15)
#define NOTABLE_STR2(v) (((v) >> 4) & 15)
#define NOTABLE_DIR1(v) (((v) >> 8) & 15)
#define NOTABLE_DIR2(v) (((v) >> 12) & 15)
#define AT_FDCWD -100
#define SLOT 256 /* bytes read per string: ZD_PATH_MAX */

static __always_inline __u64 nth_arg(__u64 *args, __u32 k)
{
	/* k is 1-based (0: none) */
	return k == 1 ? args[0] : k == 2 ? args[1] : k == 3 ? args[2] : k == 4 ? args[3] : k == 5 ? args[4] : args[5];
}


/* The directory a path argument starts from: none when it is absolute, the descriptor's path for a dirfd, else the
 * cwd. With no path (fd-only calls, k == 0) and a descriptor argument, the descriptor's own path. */
static __always_inline __u32 base_of(char *dst, struct task_struct *task, __u64 *args, __u32 strk, __u32 dirk, char first)
{
	if (strk && first == '/')
		return 0;
	if (!strk && !dirk)
		return 0;
	__s32 dirfd = dirk ? (__s32)nth_arg(args, dirk) : AT_FDCWD;
	if (dirfd == AT_FDCWD) {
		if (!strk)
			return 0;
		struct fs_struct *fs = BPF_CORE_READ(task, fs);
		return read_path(BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt), dst);
	}
	struct file *file = file_of_fd(task, dirfd);
	if (!file)
		return 0;
	return read_path(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), dst);
}

static __noinline int notable_exit(struct pt_regs *regs, long nr, long ret, int at_entry)
{
	if (nr < 0 || nr >= 512 || !regs)
		return 0;
	__u32 key = nr;
	__u32 *spec = bpf_map_lookup_elem(&zd_notable, &key);
	if (!spec || !(*spec & NOTABLE_REPORT) || !at_entry != !(*spec & NOTABLE_ENTRY) || !wanted(ZD_SYSCALL))
		return 0;
	__u32 v = *spec;
	__u64 a0 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	if ((v & NOTABLE_INET_SOCKET) && (a0 == 1 || a0 == AF_INET || a0 == AF_INET6 || a0 == 16))
		return 0;
	/* A shell's every redirection is a dup onto 0, 1 or 2 of a file or a pipe; a socket there is a reverse shell's
	 * mark, which is all Falco's rules ask of dup. The old descriptor is still open at the exit. */
	__u64 family = 0;
	if (v & NOTABLE_STD_SOCKET) {
		if (ret < 0 || ret > 2)
			return 0;
		struct sock *sk = sock_of_fd((__s32)a0);
		if (!sk)
			return 0;
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
	}
	char *buf = evbuf();
	if (!buf)
		return 0;
	struct zd_syscall *ev = (void *)buf;
	fill_hdr(&ev->h, ZD_SYSCALL);
	ev->nr = nr;
	ev->ret = ret;
	ev->args[0] = a0;
	ev->args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	ev->args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	ev->args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	ev->args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
	ev->args[5] = family;
	struct task_struct *task = (void *)bpf_get_current_task();
	const struct cred *cred = BPF_CORE_READ(task, cred);
	ev->uid = BPF_CORE_READ(cred, uid.val);
	ev->gid = BPF_CORE_READ(cred, gid.val);
	ev->euid = BPF_CORE_READ(cred, euid.val);
	ev->egid = BPF_CORE_READ(cred, egid.val);
	ev->cap_permitted = cap_bits(&cred->cap_permitted);
	ev->cap_effective = cap_bits(&cred->cap_effective);
	ev->cap_inheritable = cap_bits(&cred->cap_inheritable);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->str_len = 0;
	ev->str2_len = 0;
	ev->base_len = 0;
	ev->base2_len = 0;
	ev->flags = at_entry ? ZD_SC_AT_ENTRY : 0;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->pad = 0;

	__u32 off = sizeof(*ev);
	__u32 k1 = NOTABLE_STR1(v), k2 = NOTABLE_STR2(v);
	char first1 = 0, first2 = 0;
	if (k1) {
		long n = bpf_probe_read_user_str(&buf[off], SLOT, (const void *)nth_arg(ev->args, k1));
		if (n > 0) {
			ev->str_len = (n - 1) & (SLOT - 1);
			first1 = buf[off];
		}
	}
	off = (sizeof(*ev) + ev->str_len) & 1023;
	if (k2) {
		long n = bpf_probe_read_user_str(&buf[off], SLOT, (const void *)nth_arg(ev->args, k2));
		if (n > 0) {
			ev->str2_len = (n - 1) & (SLOT - 1);
			first2 = buf[off];
		}
	}
	off = (off + ev->str2_len) & 1023;
	if (v & NOTABLE_PATH1) {
		ev->base_len = base_of(&buf[off], task, ev->args, k1, NOTABLE_DIR1(v), first1) & (SLOT - 1);
		off = (off + ev->base_len) & 1023;
	}
	if (v & NOTABLE_PATH2) {
		ev->base2_len = base_of(&buf[off], task, ev->args, k2, NOTABLE_DIR2(v), first2) & (SLOT - 1);
		off = (off + ev->base2_len) & 2047;
	}
	emit(buf, off, ZD_SYSCALL);
	return 0;
}

/* The raw sys_exit fallback's handler for every notable syscall (zd_exit_calls). */
SEC("raw_tp")
int BPF_PROG(zd_notable_exit, struct pt_regs *regs, long ret)
{
	return notable_exit(regs, BPF_CORE_READ(regs, orig_ax), ret, 0);
}

/* Per-syscall handlers, reached by tail call from the two raw syscall tracepoints (raw tracepoints need no
 * tracefs, and one dispatch costs less than one program per syscall tracepoint). x86_64 numbers. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 512);
	__type(key, __u32);
	__array(values, int(void *));
} zd_enter_calls SEC(".maps") = {
	.values = {
		[0] = (void *)&zd_read_enter,
		[1] = (void *)&zd_write_enter,
		[2] = (void *)&zd_open_enter,
		[85] = (void *)&zd_creat_enter,
		[257] = (void *)&zd_openat_enter,
		[437] = (void *)&zd_openat2_enter,
		[42] = (void *)&zd_connect_enter,
		[49] = (void *)&zd_bind_enter,
		[50] = (void *)&zd_listen_enter,
		[44] = (void *)&zd_sendto_enter,
		[46] = (void *)&zd_sendmsg_enter,
		[307] = (void *)&zd_sendmmsg_enter,
		[45] = (void *)&zd_recvfrom_enter,
		[47] = (void *)&zd_recvmsg_enter,
	},
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 512);
	__type(key, __u32);
	__array(values, int(void *));
} zd_exit_calls SEC(".maps") = {
	.values = {
		[0] = (void *)&zd_recvfrom_exit,
		[2] = (void *)&zd_open_exit,
		[85] = (void *)&zd_open_exit,
		[437] = (void *)&zd_open_exit,
		[257] = (void *)&zd_openat_exit,
		[42] = (void *)&zd_connect_exit,
		[43] = (void *)&zd_accept_exit,
		[288] = (void *)&zd_accept4_exit,
		[49] = (void *)&zd_bind_exit,
		[50] = (void *)&zd_listen_exit,
		[45] = (void *)&zd_recvfrom_exit,
		[47] = (void *)&zd_recvmsg_exit,
		[101] = (void *)&zd_notable_exit, /* ptrace */
		[105] = (void *)&zd_notable_exit, /* setuid */
		[106] = (void *)&zd_notable_exit, /* setgid */
		[113] = (void *)&zd_notable_exit, /* setreuid */
		[114] = (void *)&zd_notable_exit, /* setregid */
		[117] = (void *)&zd_notable_exit, /* setresuid */
		[119] = (void *)&zd_notable_exit, /* setresgid */
		[122] = (void *)&zd_notable_exit, /* setfsuid */
		[123] = (void *)&zd_notable_exit, /* setfsgid */
		[126] = (void *)&zd_notable_exit, /* capset */
		[165] = (void *)&zd_notable_exit, /* mount */
		[166] = (void *)&zd_notable_exit, /* umount */
		[155] = (void *)&zd_notable_exit, /* pivot_root */
		[175] = (void *)&zd_notable_exit, /* init_module */
		[313] = (void *)&zd_notable_exit, /* finit_module */
		[308] = (void *)&zd_notable_exit, /* setns */
		[272] = (void *)&zd_notable_exit, /* unshare */
		[319] = (void *)&zd_notable_exit, /* memfd_create */
		[321] = (void *)&zd_notable_exit, /* bpf */
		[298] = (void *)&zd_notable_exit, /* perf_event_open */
		[246] = (void *)&zd_notable_exit, /* kexec_load */
		[320] = (void *)&zd_notable_exit, /* kexec_file_load */
		[86] = (void *)&zd_notable_exit, /* link */
		[265] = (void *)&zd_notable_exit, /* linkat */
		[88] = (void *)&zd_notable_exit, /* symlink */
		[266] = (void *)&zd_notable_exit, /* symlinkat */
		[83] = (void *)&zd_notable_exit, /* mkdir */
		[258] = (void *)&zd_notable_exit, /* mkdirat */
		[82] = (void *)&zd_notable_exit, /* rename */
		[264] = (void *)&zd_notable_exit, /* renameat */
		[316] = (void *)&zd_notable_exit, /* renameat2 */
		[87] = (void *)&zd_notable_exit, /* unlink */
		[263] = (void *)&zd_notable_exit, /* unlinkat */
		[84] = (void *)&zd_notable_exit, /* rmdir */
		[90] = (void *)&zd_notable_exit, /* chmod */
		[91] = (void *)&zd_notable_exit, /* fchmod */
		[268] = (void *)&zd_notable_exit, /* fchmodat */
		[41] = (void *)&zd_notable_exit, /* socket */
		[323] = (void *)&zd_notable_exit, /* userfaultfd */
		[32] = (void *)&zd_notable_exit, /* dup */
		[33] = (void *)&zd_notable_exit, /* dup2 */
		[292] = (void *)&zd_notable_exit, /* dup3 */
	},
};

/* The container runtime's own set-up inside the container's cgroup: runc's init stages name themselves
 * "runc:[0:PARENT]", "runc:[1:CHILD]", "runc:[2:INIT]" until they exec the workload. Their calls (mount,
 * pivot_root, mkdirat, sethostname, ...) are runc's, not the workload's: a seccomp profile made from them would
 * allow what the workload never did. Before it names itself, runc's init runs its own file re-executed (through
 * /proc/self/exe, then its memfd copy with execveat, prctl, ...) and may already be in the container's cgroup (runc
 * puts it there as it starts): told by the file it runs, runc's or crun's from outside any image ("runc", "crun",
 * "memfd:runc_cloned..."). Checked only when a bit is about to be set (the per-CPU cache spares it). */
static __always_inline int runtime_init(void)
{
	char comm[8] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] == 'r' && comm[1] == 'u' && comm[2] == 'n' && comm[3] == 'c' && comm[4] == ':' && comm[5] == '[')
		return 1;
	struct task_struct *task = (void *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe)
		return 0;
	struct inode *inode = BPF_CORE_READ(exe, f_inode);
	if (BPF_CORE_READ(inode, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC)
		return 0; /* a file of an image is the workload's, whatever its name */
	char name[12] = {};
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
	if ((name[0] == 'r' && name[1] == 'u' && name[2] == 'n' && name[3] == 'c' && name[4] == 0)
	    || (name[0] == 'c' && name[1] == 'r' && name[2] == 'u' && name[3] == 'n' && name[4] == 0))
		return 1;
	return name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':'
	    && name[6] == 'r' && name[7] == 'u' && name[8] == 'n' && name[9] == 'c';
}

SEC("raw_tp/sys_enter")
int BPF_PROG(zd_sys_enter, struct pt_regs *regs, long nr)
{
	if (nr < 0 || nr >= 512)
		return 0;
	__u64 cg = bpf_get_current_cgroup_id();
	__u64 bit = 1ULL << (nr & 63);
	__u32 word = (nr >> 6) & 7;
	struct zd_sc_cache *cache = bpf_map_lookup_elem(&zd_sc_cache, &zero);
	if ((!cache || cache->cgroup != cg || !(cache->bits[word] & bit)) && !runtime_init()) {
		struct zd_syscalls *set = bpf_map_lookup_elem(&zd_syscalls, &cg);
		if (!set) {
			struct zd_syscalls empty = {};
			bpf_map_update_elem(&zd_syscalls, &cg, &empty, BPF_NOEXIST);
			set = bpf_map_lookup_elem(&zd_syscalls, &cg);
		}
		if (set && !(set->bits[word] & bit))
			__sync_fetch_and_or(&set->bits[word], bit);
		if (cache) {
			if (cache->cgroup != cg) {
				__builtin_memset(cache->bits, 0, sizeof(cache->bits));
				cache->cgroup = cg;
			}
			cache->bits[word] |= bit;
		}
	}

	/* Syscalls with their own handler (opens, sockets, DNS) continue there; the tail call does not return. Notable
	 * syscalls are reported at their exit (notable_exit), with the result and the credentials after the call; those
	 * whose exit this kernel cannot hook (no trace event: init_module, kexec_load, ...) here, at their entry. */
	bpf_tail_call(ctx, &zd_enter_calls, nr & 511);
	__u32 key = nr;
	__u32 *spec = bpf_map_lookup_elem(&zd_notable, &key);
	if (spec && (*spec & NOTABLE_ENTRY))
		notable_exit(regs, nr, 0, 1);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(zd_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);
	if (nr < 0 || nr >= 512)
		return 0;
	bpf_tail_call(ctx, &zd_exit_calls, nr);
	return 0;
}

/* Syscall-specific exit tracepoints (tracefs: syscalls/sys_exit_*), used instead of raw_tp/sys_exit whenever the
 * agent can attach them: the raw tracepoint runs a program on the exit of every syscall of every process, these
 * only on the exits that carry a result we report. The raw_tp/sys_exit path stays as the fallback (plan in --check). */
struct zd_exit_ctx {
	__u64 common;
	long nr;
	long ret;
};

#define ZD_EXIT_TP(call, body) \
	SEC("tracepoint/syscalls/sys_exit_" #call) \
	int zd_x_##call(struct zd_exit_ctx *ctx) { return body(ctx->ret); }

static __always_inline int connect_exit(__s64 ret) { return net_exit(ZD_CONNECT, ret); }
static __always_inline int bind_exit(__s64 ret) { return net_exit(ZD_BIND, ret); }
static __always_inline int listen_exit(__s64 ret) { return net_exit(ZD_LISTEN, ret); }

ZD_EXIT_TP(read, recvfrom_exit)
ZD_EXIT_TP(open, open_exit)
ZD_EXIT_TP(creat, open_exit)
ZD_EXIT_TP(openat, open_exit)
ZD_EXIT_TP(openat2, open_exit)
ZD_EXIT_TP(connect, connect_exit)
ZD_EXIT_TP(accept, accept_exit)
ZD_EXIT_TP(accept4, accept_exit)
ZD_EXIT_TP(bind, bind_exit)
ZD_EXIT_TP(listen, listen_exit)
ZD_EXIT_TP(recvfrom, recvfrom_exit)
ZD_EXIT_TP(recvmsg, recvmsg_exit)

/* Notable syscalls' exits. The tracepoint gives the number and the result; the arguments are read from the task's
 * saved user registers, which the syscall leaves as they were (x86_64). umount2 is SYSCALL_DEFINE'd as "umount". */
#define ZD_NOTABLE_TP(call) \
	SEC("tracepoint/syscalls/sys_exit_" #call) \
	int zd_n_##call(struct zd_exit_ctx *ctx) \
	{ return notable_exit((struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf()), ctx->nr, ctx->ret, 0); }

ZD_NOTABLE_TP(ptrace)
ZD_NOTABLE_TP(setuid)
ZD_NOTABLE_TP(setgid)
ZD_NOTABLE_TP(setreuid)
ZD_NOTABLE_TP(setregid)
ZD_NOTABLE_TP(setresuid)
ZD_NOTABLE_TP(setresgid)
ZD_NOTABLE_TP(setfsuid)
ZD_NOTABLE_TP(setfsgid)
ZD_NOTABLE_TP(capset)
ZD_NOTABLE_TP(mount)
ZD_NOTABLE_TP(umount)
ZD_NOTABLE_TP(pivot_root)
ZD_NOTABLE_TP(init_module)
ZD_NOTABLE_TP(finit_module)
ZD_NOTABLE_TP(setns)
ZD_NOTABLE_TP(unshare)
ZD_NOTABLE_TP(memfd_create)
ZD_NOTABLE_TP(bpf)
ZD_NOTABLE_TP(perf_event_open)
ZD_NOTABLE_TP(kexec_load)
ZD_NOTABLE_TP(kexec_file_load)
ZD_NOTABLE_TP(link)
ZD_NOTABLE_TP(linkat)
ZD_NOTABLE_TP(symlink)
ZD_NOTABLE_TP(symlinkat)
ZD_NOTABLE_TP(mkdir)
ZD_NOTABLE_TP(mkdirat)
ZD_NOTABLE_TP(rename)
ZD_NOTABLE_TP(renameat)
ZD_NOTABLE_TP(renameat2)
ZD_NOTABLE_TP(unlink)
ZD_NOTABLE_TP(unlinkat)
ZD_NOTABLE_TP(rmdir)
ZD_NOTABLE_TP(chmod)
ZD_NOTABLE_TP(fchmod)
ZD_NOTABLE_TP(fchmodat)
ZD_NOTABLE_TP(socket)
ZD_NOTABLE_TP(userfaultfd)
ZD_NOTABLE_TP(dup)
ZD_NOTABLE_TP(dup2)
ZD_NOTABLE_TP(dup3)
