// Loads one build of enforce.bpf.o (this tree's, or one built from git: the layout before policies), attaches its
// exec program alone, optionally puts one container under protect with one file allowed, prints "ready PROG_ID" and
// waits for its stdin to close; then detaches. For enforce-exec-cost.sh: the same exec loops timed with bpf_stats
// under each build.
//
// usage: enforce-exec-loader OBJ                      nothing assigned: every exec takes the unassigned path
//        enforce-exec-loader OBJ protect CGROUP IMAGE_DEV IMAGE_INO FILE_DEV FILE_INO   (FILE_DEV: the container's
//            overlay device, kernel encoding)
//            before policies: zde_mode[CGROUP] = protect, the file allowed with any parent in that cgroup;
//            with policies: policy 1 in protect with the file allowed, the image (its top layer's root directory)
//            mapped to it, the cgroup left for the kernel to classify at its first exec.
// build: clang -O2 -o enforce-exec-loader enforce-exec-loader.c -lbpf
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int map(struct bpf_object *obj, const char *name)
{
	int fd = bpf_object__find_map_fd_by_name(obj, name);
	if (fd < 0) {
		fprintf(stderr, "no map %s\n", name);
		exit(2);
	}
	return fd;
}

static void update(int fd, const void *key, const void *value, const char *what)
{
	if (bpf_map_update_elem(fd, key, value, BPF_ANY)) {
		perror(what);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2 && !(argc == 8 && !strcmp(argv[2], "protect"))) {
		fprintf(stderr, "usage: %s OBJ [protect CGROUP IMAGE_DEV IMAGE_INO FILE_DEV FILE_INO]\n", argv[0]);
		return 2;
	}
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || libbpf_get_error(obj)) {
		fprintf(stderr, "cannot open %s\n", argv[1]);
		return 2;
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), "zde_exec"));
	if (bpf_object__load(obj)) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 2;
	}
	int policies = bpf_object__find_map_by_name(obj, "zde_policy") != NULL;
	if (policies) {
		/* The host's mount namespace, as KernelEnforcer writes it at load: pid 1's link text ("mnt:[N]"), which
		 * can be read where following the link is refused, else our own. */
		char link[64] = "";
		struct stat st;
		uint32_t zero = 0;
		uint64_t config[3] = { 0, 0, 0 };
		if (readlink("/proc/1/ns/mnt", link, sizeof(link) - 1) > 5)
			config[0] = strtoull(link + 5, NULL, 10);
		else if (stat("/proc/self/ns/mnt", &st) == 0)
			config[0] = st.st_ino;
		update(map(obj, "zde_config"), &zero, config, "zde_config");
	}
	if (argc == 8) {
		uint64_t cgroup = strtoull(argv[3], NULL, 0), image_dev = strtoull(argv[4], NULL, 0), image_ino = strtoull(argv[5], NULL, 0);
		uint64_t file_dev = strtoull(argv[6], NULL, 0), file_ino = strtoull(argv[7], NULL, 0);
		uint8_t one = 1;
		if (policies) {
			uint32_t policy = 1;
			uint64_t state[2] = { 2 /* protect, no flags */, 1 /* owner */ };
			update(map(obj, "zde_policy"), &policy, state, "zde_policy");
			/* A file on overlayfs is named {ZDE_DEV_OVERLAY, ino} in every container: FILE_DEV is the container's
			 * own overlay device, which only the layout before policies keys on. */
			uint64_t allow[6] = { policy, 1ULL << 32, file_ino, ~0ULL, ~0ULL, 0 };
			update(map(obj, "zde_exec_allow"), allow, &one, "zde_exec_allow");
			uint64_t image[2] = { image_dev, image_ino };
			update(map(obj, "zde_image"), image, &policy, "zde_image");
		} else {
			uint32_t protect = 2;
			update(map(obj, "zde_mode"), &cgroup, &protect, "zde_mode");
			uint64_t allow[6] = { cgroup, file_dev, file_ino, ~0ULL, ~0ULL, 0 };
			update(map(obj, "zde_exec_allow"), allow, &one, "zde_exec_allow");
		}
	}
	prog = bpf_object__find_program_by_name(obj, "zde_exec");
	struct bpf_link *link = bpf_program__attach(prog);
	if (!link || libbpf_get_error(link)) {
		fprintf(stderr, "cannot attach zde_exec\n");
		return 2;
	}
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
	printf("ready %u\n", info.id);
	fflush(stdout);
	char buf[64];
	while (fread(buf, 1, sizeof(buf), stdin) > 0) {
	}
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
