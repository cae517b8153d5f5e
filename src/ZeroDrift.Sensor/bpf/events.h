/* The sensor's wire format: one versioned, little-endian, naturally aligned layout shared by the BPF programs
 * and ZeroDrift.Sensor's C# reader (Events/EventLayout.cs mirrors every offset; a unit test pins them).
 * Every record starts with zd_hdr; `size` is the whole record including its trailing strings. */
#ifndef ZERODRIFT_EVENTS_H
#define ZERODRIFT_EVENTS_H

/* 2: exec carries the executable's size and times, capabilities, ids in the pid namespace, tty, loginuid, env
 * 3: exec carries the task's comm; notable syscalls are reported at exit with their result, the comm, credentials
 *    and capabilities after the call, and up to two string arguments with the directories relative paths start from */
#define ZD_VERSION 3

enum zd_type {
	ZD_EXEC = 1,
	ZD_EXIT = 2,
	ZD_OPEN = 3,
	ZD_CONNECT = 4,
	ZD_ACCEPT = 5,
	ZD_BIND = 6,
	ZD_LISTEN = 7,
	ZD_DNS = 8,
	ZD_SYSCALL = 9,
	ZD_TYPE_MAX = 10,
};

#define ZD_PATH_MAX 256   /* exe path, cwd, open path: truncated beyond this */
#define ZD_ARGS_MAX 512   /* argv bytes, NUL-separated */
#define ZD_DNS_MAX 512    /* UDP DNS payload bytes */
#define ZD_STR_MAX 128    /* string argument of a notable syscall */
#define ZD_ENV_MAX 512    /* environment bytes, NUL-separated */

/* exe_flags */
#define ZD_EXE_OVERLAY 1  /* the executable's inode is on an overlayfs */
#define ZD_EXE_UPPER 2    /* ...and it has an upper (writable layer) dentry: written or copied up at run time */
#define ZD_EXE_MEMFD 4    /* shmem inode with no link: memfd_create or a deleted tmpfs file */
#define ZD_EXE_DELETED 8  /* the executable has no links left (deleted after or while being run) */

/* open reasons */
#define ZD_OPEN_WRITE 1
#define ZD_OPEN_SENSITIVE 2
#define ZD_OPEN_WATCHED 4

struct zd_hdr {
	__u16 version;
	__u16 type;
	__u32 size;
	__u64 ktime;     /* bpf_ktime_get_ns: CLOCK_MONOTONIC */
	__u64 cgroup_id; /* cgroup v2 id = inode of the cgroup directory */
	__u32 pid;       /* thread id */
	__u32 tgid;      /* process id */
};                       /* 32 */

struct zd_exec {
	struct zd_hdr h;
	__u32 ppid, uid, gid, euid;
	__u32 pid_ns, mnt_ns;
	__u64 exe_ino;
	__u32 exe_dev;
	__u32 exe_flags;
	__u16 path_len, args_len, cwd_len, args_truncated;
	__u64 exe_size;
	__s64 exe_mtime_ns, exe_ctime_ns; /* the executable's inode times, ns since the epoch */
	__u64 cap_permitted, cap_effective, cap_inheritable; /* capability bit sets of the new program */
	__u32 vpid, vpgid, vsid; /* process, process group and session ids in the process's own pid namespace */
	__u32 tty;       /* controlling terminal, new_encode_dev(major, minor); 0 without one */
	__u32 loginuid;  /* audit login uid; 0xffffffff unset */
	__u16 env_len, env_truncated;
	/* The executable of the parent (real_parent's mm->exe_file): a parent that forked without exec and is gone by
	 * the time user space reads this (httpd's per-request child running a CGI) is still known by its file. */
	__u64 parent_exe_ino;
	__u32 parent_exe_dev;
	/* Who started it as the profile knows it (lineage.h): 0 a parent in the container (or on the host), known by the
	 * executable above; 1 the runtime starting the container's init (entry); 2 the runtime's exec path (podman exec). */
	__u32 parent_class;
	char comm[16];   /* the task's name after the exec (TASK_COMM_LEN): a script's file name, not its interpreter's */
	char data[];     /* path, argv (NUL-separated), cwd, env (NUL-separated) */
};                       /* 184 + data */

struct zd_exit {
	struct zd_hdr h;
	__u32 exit_code; /* wait status: code << 8 | signal */
	__u32 ppid;
};                       /* 40 */

struct zd_open {
	struct zd_hdr h;
	__s32 ret;
	__u32 flags;
	__u32 mode;
	__s32 dirfd;
	__u16 path_len;
	__u16 reason;
	__u32 pad;
	char data[];     /* path as given to open(at) */
};                       /* 56 + data */

struct zd_net {
	struct zd_hdr h;
	__s32 ret;
	__u16 family;    /* AF_INET 2, AF_INET6 10 */
	__u8 protocol;   /* IPPROTO_TCP 6, IPPROTO_UDP 17 */
	__u8 sock_type;  /* SOCK_STREAM 1, SOCK_DGRAM 2 */
	__u16 lport, rport; /* host order */
	__u32 backlog;
	__u8 laddr[16];
	__u8 raddr[16];
};                       /* 80 */

struct zd_dns {
	struct zd_hdr h;
	__u16 family;
	__u16 direction; /* 0 sent (query), 1 received (answer) */
	__u16 lport, rport;
	__u8 raddr[16];
	__u16 payload_len;  /* bytes captured */
	__u8 protocol;      /* IPPROTO_UDP 17, IPPROTO_TCP 6 (was padding: 0 reads as UDP) */
	__u8 pad;
	__u32 orig_len;     /* bytes the syscall carried */
	char data[];
};                       /* 64 + data */

/* A notable syscall at its exit. Relative path arguments come with the directory they start from (the dirfd's path,
 * or the cwd for AT_FDCWD), read in the kernel at the call, so user space joins them as Falco does without a fd table.
 * For a call on a descriptor alone (fchmod), base is that descriptor's path. */
struct zd_syscall {
	struct zd_hdr h;
	__u32 nr;
	__u32 str_len;   /* first string argument */
	__u64 args[6];
	__s64 ret;
	__u32 uid, gid, euid, egid;  /* credentials after the call */
	__u64 cap_permitted, cap_effective, cap_inheritable; /* capability sets after the call */
	char comm[16];   /* the task's name at the call (runc's init stages name themselves "runc:[1:CHILD]", ...) */
	__u16 str2_len;  /* second string argument (rename, link, symlink) */
	__u16 base_len;  /* directory the first string is relative to (empty when absolute) */
	__u16 base2_len; /* directory the second string is relative to */
	__u16 flags;     /* 1: reported at entry (no exit hook for it on this kernel): ret means nothing */
	__u32 ppid;      /* real_parent's tgid: a child forked without exec (busybox sh runs applets so) and gone before
	                  * user space reads /proc is known through its parent, as Falco's clone handling knows it */
	__u32 pad;
	char data[];     /* string, string 2, base, base 2 */
};                       /* 168 + data */

#endif
