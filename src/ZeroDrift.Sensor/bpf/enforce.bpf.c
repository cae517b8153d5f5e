// SPDX-License-Identifier: GPL-2.0
/* ZeroDrift enforcement: a separate object from the sensor (Tetragon's sensor/policy split), so observation and
 * blocking load, pin and go away independently. Every program and map name starts with zde_.
 *
 * Enforcement is per policy (one workload's: a mode, flags, allow sets), not per cgroup, so that it can be in place
 * before a container exists:
 *  - zde_cgroup says which policy a cgroup is under. User space assigns cgroups it knows (origin AGENT); for a
 *    cgroup it has not assigned, zde_exec classifies the container itself at its first exec (origin KERNEL): a task
 *    whose root is an overlayfs outside the host's mount namespace is a container, and the root directory of its
 *    overlay's top lower layer (its image's top layer, the same in every container of the image) is looked up in
 *    zde_image. No mapping: the default container policy (drift prevention without a profile), or nothing.
 *  - Files are identified the same way in every container of an image (see file_id), so allow sets are filled
 *    from the image alone.
 *  - zde_exec (tp_btf/sched_process_exec): the new image is mapped but has not run one instruction. In protect, a
 *    process (zde_exec_key: executable, parent as lineage.h classes it, the name a multi-call binary dispatches
 *    on) not in zde_exec_allow, or an executable that is drift (overlayfs upper layer, memfd), gets
 *    bpf_send_signal(SIGKILL) there; with the DRIFT flag, drift is killed outside protect too.
 *  - zde_connect4/6 and zde_sendmsg4/6 (cgroup sock_addr, attached once at the root of the cgroup v2 hierarchy):
 *    for a cgroup under a policy in protect, a destination outside zde_net_allow returns 0, so connect()/sendto()
 *    fail with EPERM.
 *  - every block is written to the zde_blocked ring buffer (pinned: blocks made while the agent restarts are read
 *    when it comes back), with the policy, the reasons and what bpf_send_signal returned.
 * The agent pins all of it under /sys/fs/bpf/zerodrift/, so enforcement outlives the agent process. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "lineage.h"

char LICENSE[] SEC("license") = "GPL";

#define ZDE_OFF 0
#define ZDE_MONITOR 1
#define ZDE_PROTECT 2

/* Policy flags. */
#define ZDE_FLAG_DRIFT 1 /* kill executables from the writable layer or a memfd whatever the mode */

/* Who put a cgroup under its policy. */
#define ZDE_ORIGIN_KERNEL 1 /* zde_exec, from the container's image at its first exec */
#define ZDE_ORIGIN_AGENT 2  /* user space */

#define ZDE_KIND_EXEC 1
#define ZDE_KIND_CONNECT 2
#define ZDE_KIND_SENDMSG 3

/* Why a record was written (bits). */
#define ZDE_NOT_ALLOWED 1
#define ZDE_UPPER 2             /* executable in the overlayfs upper (writable) layer */
#define ZDE_MEMFD 4             /* executable in a memfd (fileless) */
#define ZDE_SCRIPT_DRIFT 8      /* the script handed to an interpreter is itself drift */
#define ZDE_DRIFT_PREVENTION 16 /* killed for the DRIFT flag of a policy not in protect (no profile involved) */

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define TMPFS_MAGIC 0x01021994
#define AF_INET 2
#define AF_INET6 10
#define SIGKILL 9
#define ZDE_PATH 256

/* The device part of a file on overlayfs (s_dev is 32 bits: no real device has this value). Each container's
 * overlay is a device of its own, but on containers/storage (all layers on one filesystem) an overlay inode's
 * i_ino is the inode number of the layer's file: {ZDE_DEV_OVERLAY, i_ino} names one file of the image in every
 * container of it and in an image mount. */
#define ZDE_DEV_OVERLAY 0x100000000ULL

/* The parent of a process (lineage.h): {dev, ino} of its executable, or a class of the runtime ({0, 1} entry,
 * {0, 2} runtime exec; no filesystem has device 0), or ZDE_PARENT_ANY in both for a profile entry with no parent. */
#define ZDE_PARENT_ANY (~0ULL)

/* One process of a policy's profile: the executable, its parent, and for a multi-call binary (busybox: sh, httpd
 * and wget are one file) the FNV-1a hash of the name it dispatches on. */
struct zde_exec_key {
	__u32 policy;
	__u32 pad;
	__u64 dev;
	__u64 ino;
	__u64 parent_dev;
	__u64 parent_ino;
	__u64 name; /* 0 unless the file is in zde_multicall */
};

/* A multi-call file of one policy. */
struct zde_file_key {
	__u32 policy;
	__u32 pad;
	__u64 dev;
	__u64 ino;
};

/* Names longer than this (argv[0] as given, not only its basename) are hashed on their first ZDE_NAME bytes; the
 * agent hashes the same way (ProgramName.cs). */
#define ZDE_NAME 128
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* LPM trie key: policy (32 bits), port (16, network order, 0 = any port entry), family (16), address. The prefix
 * length always covers policy, port and family (64 bits) plus the address prefix. */
struct zde_net_key {
	__u32 prefixlen;
	__u32 policy;
	__u16 port;
	__u16 family;
	__u8 addr[16];
};

struct zde_policy {
	__u32 mode;
	__u32 flags;
	__u64 owner; /* hash of the workload key: user space finds its policies again after a restart */
};

struct zde_cgroup {
	__u32 policy;
	__u32 origin;
};

/* An image, by the root directory of its top layer as the overlay's first lower layer holds it. */
struct zde_image_key {
	__u64 dev;
	__u64 ino;
};

struct zde_config {
	__u64 host_mnt_ns;    /* inode of the host's mount namespace: its processes are never containers */
	__u32 default_policy; /* for containers of an image nobody mapped; 0: none */
	__u32 scope_level;    /* with scope_cgroup: its depth in the hierarchy */
	__u64 scope_cgroup;   /* classify only cgroups under this one; 0: anywhere */
};

struct zde_record {
	__u64 ktime;
	__u64 cgroup;
	__u64 dev;
	__u64 ino;
	__u32 kind;
	__u32 pid;
	__u32 reason;
	__u16 family;
	__u16 port; /* host order */
	__u8 addr[16];
	__u32 protocol;
	__u32 path_len;
	__u32 policy;
	__s32 signal; /* bpf_send_signal's result for an exec: 0 the kill is pending, else -errno (not blocked) */
	char path[ZDE_PATH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct zde_policy);
} zde_policy SEC(".maps");

/* Preallocated: zde_exec inserts into it, and a lookup miss (every exec of a host process) stays cheap. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct zde_cgroup);
} zde_cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct zde_image_key);
	__type(value, __u32);
} zde_image SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zde_config);
} zde_config SEC(".maps");

/* Filled by user space only: allocated as entries are added (a full preallocation of 48-byte keys would hold
 * ~27 MiB of kernel memory whatever the profiles' size). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct zde_exec_key);
	__type(value, __u8);
} zde_exec_allow SEC(".maps");

/* Files whose name decides what they run. Value: the hash of the file's own name when, run under that name, it
 * dispatches on argv[1] instead (`busybox sh`), else 0. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct zde_file_key);
	__type(value, __u64);
} zde_multicall SEC(".maps");

/* The execs killed lately, by pid (value: ktime of the kill): the agent asks it whether an exec its engine
 * refused was refused by the kernel already, or is for it to kill. Written only when the signal was sent. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} zde_killed SEC(".maps");

/* Scratch for reading argv (too large for the 512-byte stack with the rest). */
struct zde_scratch {
	char name[ZDE_NAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zde_scratch);
} zde_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct zde_net_key);
	__type(value, __u8);
} zde_net_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} zde_blocked SEC(".maps");

/* The build that pinned everything (the first 8 bytes of the object's SHA-256), written by user space at load:
 * a later agent adopts the pins only if it carries the same object, so records and keys are never misread. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} zde_version SEC(".maps");

/* Blocks whose record did not fit in zde_blocked (a flood of denied execs): the block itself still happened. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} zde_lost SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&zde_lost, &zero);
	if (lost)
		*lost += 1;
}

/* A file as enforcement names it: {ZDE_DEV_OVERLAY, i_ino} on overlayfs, else {s_dev, i_ino}. The pointers here
 * and below come from the tracepoint's own arguments (typed by BTF), so fields are read with plain loads (the
 * verifier makes them fault-safe), not with a helper call each: every exec on the machine runs this program. */
static __always_inline void file_id(struct inode *inode, __u64 *dev, __u64 *ino)
{
	struct super_block *sb = inode->i_sb;
	*ino = inode->i_ino;
	*dev = sb->s_magic == OVERLAYFS_SUPER_MAGIC ? ZDE_DEV_OVERLAY : sb->s_dev;
}

/* Drift bits of one executable file: overlayfs upper layer (written after the container started, or copied up by a
 * write: the overlay keeps the lower inode number across copy-up, so its identity alone would not tell), or a
 * memfd (tmpfs inode with no link). */
static __always_inline __u32 drift(struct inode *inode)
{
	unsigned long magic = inode->i_sb->s_magic;
	if (magic == OVERLAYFS_SUPER_MAGIC) {
		struct ovl_inode *oi = container_of(inode, struct ovl_inode, vfs_inode);
		if (BPF_CORE_READ(oi, __upperdentry))
			return ZDE_UPPER;
	} else if (magic == TMPFS_MAGIC && inode->i_nlink == 0) {
		return ZDE_MEMFD;
	}
	return 0;
}

static __always_inline int in_host_mount_ns(struct task_struct *task, struct zde_config *cfg)
{
	return task->nsproxy->mnt_ns->ns.inum == cfg->host_mnt_ns;
}

/* The policy of a cgroup nobody assigned, decided at its first exec: a container (root on overlayfs, not the host's
 * mount namespace) of a mapped image gets that image's policy, recorded in zde_cgroup; of another image, the
 * default container policy (not recorded: a mapping published later still applies to its next exec). 0: none. */
static __always_inline __u32 classify(struct task_struct *task, __u64 cgroup, struct zde_config *cfg)
{
	if (cfg->scope_cgroup && bpf_get_current_ancestor_cgroup_id(cfg->scope_level) != cfg->scope_cgroup)
		return 0;
	struct super_block *sb = task->fs->root.mnt->mnt_sb;
	if (!sb || sb->s_magic != OVERLAYFS_SUPER_MAGIC || in_host_mount_ns(task, cfg))
		return 0;
	struct ovl_fs *ofs = sb->s_fs_info;
	/* layers[0] is the upper layer, layers[1] the first lower (the image's top layer). The stride is the running
	 * kernel's size of struct ovl_layer, not this object's. */
	if (!ofs || BPF_CORE_READ(ofs, numlayer) < 2)
		return cfg->default_policy;
	struct ovl_layer *layers = BPF_CORE_READ(ofs, layers);
	struct ovl_layer *top = (void *)layers + bpf_core_type_size(struct ovl_layer);
	struct inode *dir = BPF_CORE_READ(top, mnt, mnt_root, d_inode);
	if (!dir)
		return cfg->default_policy;
	struct zde_image_key image = {
		.dev = BPF_CORE_READ(dir, i_sb, s_dev),
		.ino = BPF_CORE_READ(dir, i_ino),
	};
	__u32 *policy = bpf_map_lookup_elem(&zde_image, &image);
	if (!policy)
		return cfg->default_policy;
	struct zde_cgroup entry = { .policy = *policy, .origin = ZDE_ORIGIN_KERNEL };
	/* A full map only costs the next exec a classification again: this one is decided all the same. */
	bpf_map_update_elem(&zde_cgroup, &cgroup, &entry, BPF_NOEXIST);
	return entry.policy;
}

/* FNV-1a of the basename of the NUL-terminated string at user address `at` (its first ZDE_NAME bytes): the hash
 * restarts after each '/'. *len gets the bytes read including the NUL (0 when unreadable). */
static __always_inline __u64 basename_hash(const char *at, struct zde_scratch *s, long *len)
{
	long n = bpf_probe_read_user_str(s->name, sizeof(s->name), at);
	*len = n;
	if (n <= 0)
		return FNV_OFFSET;
	__u64 h = FNV_OFFSET;
	for (int i = 0; i < ZDE_NAME; i++) {
		if (i >= n - 1)
			break;
		unsigned char c = s->name[i];
		if (c == '/')
			h = FNV_OFFSET;
		else
			h = (h ^ c) * FNV_PRIME;
	}
	return h;
}

/* The name a multi-call binary runs as: basename(argv[0]), or basename(argv[1]) when argv[0] is the binary's own
 * name and it dispatches on argv[1] (self != 0). Read from the new image's argument area. */
static __always_inline __u64 program_name(struct task_struct *task, __u64 self)
{
	__u32 zero = 0;
	struct zde_scratch *s = bpf_map_lookup_elem(&zde_scratch, &zero);
	if (!s)
		return 0;
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	if (end <= start)
		return FNV_OFFSET; /* no argv at all: the empty name */
	long len = 0;
	__u64 h = basename_hash((const char *)start, s, &len);
	if (self && h == self && len > 0 && len < ZDE_NAME && start + len < end)
		h = basename_hash((const char *)(start + len), s, &len);
	return h;
}

/* Whether the policy's profile has this process: the executable with this parent (or with any), under its name. */
static __always_inline int allowed_process(struct task_struct *task, __u64 cgroup, __u32 policy, __u64 dev, __u64 ino)
{
	struct zde_exec_key key = { .policy = policy, .dev = dev, .ino = ino };
	struct task_struct *parent;
	__u32 class = zd_parent_class(task, cgroup, &parent);
	if (class == ZD_PARENT_KNOWN) {
		struct mm_struct *mm = parent ? parent->mm : 0;
		struct file *exe = mm ? mm->exe_file : 0;
		if (exe)
			file_id(exe->f_inode, &key.parent_dev, &key.parent_ino);
	} else {
		key.parent_ino = class;
	}
	struct zde_file_key fkey = { .policy = policy, .dev = dev, .ino = ino };
	__u64 *self = bpf_map_lookup_elem(&zde_multicall, &fkey);
	if (self)
		key.name = program_name(task, *self);
	if (bpf_map_lookup_elem(&zde_exec_allow, &key))
		return 1;
	key.parent_dev = ZDE_PARENT_ANY;
	key.parent_ino = ZDE_PARENT_ANY;
	return bpf_map_lookup_elem(&zde_exec_allow, &key) != 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(zde_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 zero = 0;
	struct zde_config *cfg = bpf_map_lookup_elem(&zde_config, &zero);
	if (!cfg)
		return 0;
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u32 policy_id;
	struct zde_cgroup *assigned = bpf_map_lookup_elem(&zde_cgroup, &cgroup);
	if (assigned)
		policy_id = assigned->policy;
	else if (!(policy_id = classify(task, cgroup, cfg)))
		return 0;
	struct zde_policy *policy = bpf_map_lookup_elem(&zde_policy, &policy_id);
	if (!policy)
		return 0;
	__u32 mode = policy->mode, flags = policy->flags;
	if (mode != ZDE_PROTECT && !(flags & ZDE_FLAG_DRIFT))
		return 0;
	/* The runtime's own helpers may exec in the container's cgroup before they enter it (runc init started into
	 * the cgroup with CLONE_INTO_CGROUP): the host is never blocked. */
	if (in_host_mount_ns(task, cfg))
		return 0;

	struct file *file = bprm->file;
	struct inode *inode = file->f_inode;
	__u64 dev, ino;
	file_id(inode, &dev, &ino);
	__u32 reason = drift(inode);
	/* For a script, bprm->file is the interpreter by now and bprm->executable the script: a script written at
	 * run time is drift even when the interpreter is trusted. */
	if (bpf_core_field_exists(bprm->executable)) {
		struct file *script = bprm->executable;
		if (script && script != file && drift(script->f_inode))
			reason |= ZDE_SCRIPT_DRIFT;
	}
	if (mode == ZDE_PROTECT) {
		if (!allowed_process(task, cgroup, policy_id, dev, ino))
			reason |= ZDE_NOT_ALLOWED;
	} else if (reason) {
		reason |= ZDE_DRIFT_PREVENTION;
	}
	if (!reason)
		return 0;
	/* SIGKILL is pending before the return to user space: the new image never runs its first instruction. A
	 * failed send is a failed block: recorded as such, and not remembered as a kill. */
	long sent = bpf_send_signal(SIGKILL);
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 now = bpf_ktime_get_ns();
	if (sent == 0)
		bpf_map_update_elem(&zde_killed, &pid, &now, BPF_ANY);

	struct zde_record *r = bpf_ringbuf_reserve(&zde_blocked, sizeof(*r), 0);
	if (!r) {
		count_lost();
		return 0;
	}
	r->ktime = now;
	r->cgroup = cgroup;
	r->dev = dev;
	r->ino = ino;
	r->kind = ZDE_KIND_EXEC;
	r->pid = pid;
	r->reason = reason;
	r->family = 0;
	r->port = 0;
	__builtin_memset(r->addr, 0, sizeof(r->addr));
	r->protocol = 0;
	r->policy = policy_id;
	r->signal = sent;
	/* The name as given to execve ("/tmp/x", "/dev/fd/3"): the process is gone before user space could ask. */
	long n = bpf_probe_read_kernel_str(r->path, sizeof(r->path), BPF_CORE_READ(bprm, filename));
	r->path_len = n > 0 ? n - 1 : 0;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

static __always_inline int allowed_destination(struct zde_net_key *key, __u32 addr_bits)
{
	key->prefixlen = 64 + addr_bits;
	if (bpf_map_lookup_elem(&zde_net_allow, key))
		return 1;
	if (key->port == 0)
		return 0;
	__u16 port = key->port;
	key->port = 0;
	int any = bpf_map_lookup_elem(&zde_net_allow, key) != 0;
	key->port = port;
	return any;
}

/* Runs for every connect and datagram on the host (attached at the root of the hierarchy): a cgroup under no
 * policy costs one hash lookup. */
static __always_inline int decide(struct bpf_sock_addr *ctx, int v6, __u32 kind)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	struct zde_cgroup *assigned = bpf_map_lookup_elem(&zde_cgroup, &cgroup);
	if (!assigned)
		return 1;
	__u32 policy_id = assigned->policy;
	struct zde_policy *policy = bpf_map_lookup_elem(&zde_policy, &policy_id);
	if (!policy || policy->mode != ZDE_PROTECT)
		return 1;
	struct zde_net_key key = {};
	key.policy = policy_id;
	key.port = (__u16)ctx->user_port;
	__u32 bits;
	if (!v6) {
		key.family = AF_INET;
		__u32 a = ctx->user_ip4;
		__builtin_memcpy(key.addr, &a, 4);
		bits = 32;
	} else {
		__u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1], w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];
		if (w0 == 0 && w1 == 0 && w2 == bpf_htonl(0xffff)) {
			/* ::ffff:a.b.c.d reaches an IPv4 peer: judge it by the IPv4 rules. */
			key.family = AF_INET;
			__builtin_memcpy(key.addr, &w3, 4);
			bits = 32;
		} else {
			key.family = AF_INET6;
			__builtin_memcpy(key.addr, &w0, 4);
			__builtin_memcpy(key.addr + 4, &w1, 4);
			__builtin_memcpy(key.addr + 8, &w2, 4);
			__builtin_memcpy(key.addr + 12, &w3, 4);
			bits = 128;
		}
	}
	if (allowed_destination(&key, bits))
		return 1;

	struct zde_record *r = bpf_ringbuf_reserve(&zde_blocked, sizeof(*r), 0);
	if (r) {
		r->ktime = bpf_ktime_get_ns();
		r->cgroup = cgroup;
		r->dev = 0;
		r->ino = 0;
		r->kind = kind;
		r->pid = bpf_get_current_pid_tgid() >> 32;
		r->reason = ZDE_NOT_ALLOWED;
		r->family = key.family;
		r->port = bpf_ntohs(key.port);
		__builtin_memcpy(r->addr, key.addr, sizeof(r->addr));
		r->protocol = ctx->protocol;
		r->policy = policy_id;
		r->signal = 0;
		r->path_len = 0;
		r->path[0] = 0;
		bpf_ringbuf_submit(r, 0);
	} else {
		count_lost();
	}
	return 0;
}

SEC("cgroup/connect4")
int zde_connect4(struct bpf_sock_addr *ctx) { return decide(ctx, 0, ZDE_KIND_CONNECT); }

SEC("cgroup/connect6")
int zde_connect6(struct bpf_sock_addr *ctx) { return decide(ctx, 1, ZDE_KIND_CONNECT); }

/* UDP sendto()/sendmsg() with an address never calls connect(): without these, a datagram would pass. */
SEC("cgroup/sendmsg4")
int zde_sendmsg4(struct bpf_sock_addr *ctx) { return decide(ctx, 0, ZDE_KIND_SENDMSG); }

SEC("cgroup/sendmsg6")
int zde_sendmsg6(struct bpf_sock_addr *ctx) { return decide(ctx, 1, ZDE_KIND_SENDMSG); }
