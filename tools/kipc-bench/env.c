// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the environment a run measured, recorded with every result:
 * kernel, CPUs, clock source, and whether this is bare metal, a hardware
 * virtual machine (KVM, Hyper-V, ...) or an emulated CPU (QEMU TCG).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "kipc-bench.h"

/* The first line of @path, without its newline; "" if unreadable. */
static void kb_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The value of the first "@key : value" line of /proc/cpuinfo. */
static void kb_cpuinfo(const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	char line[4096], *v;
	FILE *f;

	buf[0] = '\0';
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || !strchr(line, ':'))
			continue;
		v = strchr(line, ':') + 1;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(buf, len, "%s", v);
		break;
	}
	fclose(f);
}

static bool kb_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

/* The hypervisor's cpuid vendor signature (leaf 0x40000000), if any. */
static void kb_cpuid_hypervisor(char *buf, size_t len)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(1, a, b, c, d);
	if (!(c & (1U << 31))) {
		buf[0] = '\0';
		return;
	}
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	snprintf(buf, len, "%s", sig);
#else
	buf[0] = '\0';
#endif
}

static const struct {
	const char *sig;
	const char *virt;
} kb_hypervisors[] = {
	{ "TCGTCGTCGTCG", "tcg" },
	{ "KVMKVMKVM", "kvm" },
	{ "Microsoft Hv", "hyperv" },
	{ "VMwareVMware", "vmware" },
	{ "XenVMMXenVMM", "xen" },
	{ "VBoxVBoxVBox", "virtualbox" },
	{ "bhyve bhyve ", "bhyve" },
};

static void kb_classify(struct kb_env *env, bool hv_flag)
{
	size_t i;

	snprintf(env->virt, sizeof(env->virt), "bare-metal");
	if (!hv_flag && !env->hypervisor[0])
		return;
	snprintf(env->virt, sizeof(env->virt), "vm");
	for (i = 0; i < ARRAY_SIZE(kb_hypervisors); i++)
		if (!strncmp(env->hypervisor, kb_hypervisors[i].sig,
			     strlen(kb_hypervisors[i].sig)))
			snprintf(env->virt, sizeof(env->virt), "%s",
				 kb_hypervisors[i].virt);
	/* QEMU without a hypervisor leaf: DMI says QEMU, cpuid says nothing */
	if (!env->hypervisor[0] && strstr(env->dmi_vendor, "QEMU"))
		snprintf(env->virt, sizeof(env->virt), "tcg");
}

void kb_env_probe(struct kb_env *env)
{
	struct utsname u;
	char flags[8192];
	time_t now = time(NULL);
	struct tm tm;

	memset(env, 0, sizeof(*env));
	if (!uname(&u)) {
		snprintf(env->kernel, sizeof(env->kernel), "%s", u.release);
		snprintf(env->machine, sizeof(env->machine), "%s", u.machine);
	}
	env->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	kb_cpuinfo("model name", env->cpu_model, sizeof(env->cpu_model));
	kb_cpuinfo("flags", flags, sizeof(flags));
	kb_cpuid_hypervisor(env->hypervisor, sizeof(env->hypervisor));
	kb_read_line("/sys/class/dmi/id/sys_vendor", env->dmi_vendor,
		     sizeof(env->dmi_vendor));
	kb_read_line("/sys/class/dmi/id/product_name", env->dmi_product,
		     sizeof(env->dmi_product));
	kb_read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		     env->clocksource, sizeof(env->clocksource));
	kb_classify(env, kb_has_word(flags, "hypervisor"));
	if (gmtime_r(&now, &tm))
		strftime(env->date, sizeof(env->date), "%Y-%m-%dT%H:%M:%SZ",
			 &tm);
}

bool kb_env_is_virtual(const struct kb_env *env)
{
	return strcmp(env->virt, "bare-metal") != 0;
}
