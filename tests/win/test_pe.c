/* SPDX-License-Identifier: MIT */
/*
 * Reads rashangup.dll's PE headers from the file (x64, and x86 when built):
 * the export table is exactly the .def's list with plain names, every imported
 * DLL is one Windows keeps in System32 (RRAS does not search our folder), and
 * ASLR and DEP are on.
 *
 *   test_pe DEF_FILE X64_DLL [X86_DLL]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include <cmocka.h>

#include "wintest.h"

#define MAX_NAMES 64

static const char *g_def;
static const char *g_x64;
static const char *g_x86;

/* DLLs every supported Windows has in System32, that rashangup may import. */
static const char *const system32_dlls[] = {
    "kernel32.dll", "advapi32.dll", "msvcrt.dll",   "ws2_32.dll",  "bcrypt.dll", "crypt32.dll",
    "secur32.dll",  "ntdll.dll",    "iphlpapi.dll", "shell32.dll", "ole32.dll",
};

struct pe {
    unsigned char *data;
    size_t len;
    const IMAGE_NT_HEADERS32 *nt32; /* the common prefix; Magic tells 32 or 64 */
    WORD machine;
    WORD magic;
    WORD dll_characteristics;
    const IMAGE_DATA_DIRECTORY *dirs;
    const IMAGE_SECTION_HEADER *sections;
    WORD n_sections;
};

static char *read_all(const char *path, size_t *len)
{
    WCHAR wpath[MAX_PATH];

    MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, MAX_PATH);
    return wt_read_file(wpath, len);
}

static bool pe_open(struct pe *pe, const char *path)
{
    const IMAGE_DOS_HEADER *dos;
    const IMAGE_NT_HEADERS64 *nt64;

    memset(pe, 0, sizeof *pe);
    pe->data = (unsigned char *)read_all(path, &pe->len);
    if (pe->data == NULL || pe->len < sizeof(IMAGE_DOS_HEADER))
        return false;
    dos = (const IMAGE_DOS_HEADER *)(const void *)pe->data;
    if (dos->e_magic != IMAGE_DOS_SIGNATURE ||
        (size_t)dos->e_lfanew + sizeof(IMAGE_NT_HEADERS64) > pe->len)
        return false;
    pe->nt32 = (const IMAGE_NT_HEADERS32 *)(const void *)(pe->data + dos->e_lfanew);
    nt64 = (const IMAGE_NT_HEADERS64 *)(const void *)(pe->data + dos->e_lfanew);
    if (pe->nt32->Signature != IMAGE_NT_SIGNATURE)
        return false;
    pe->machine = pe->nt32->FileHeader.Machine;
    pe->magic = pe->nt32->OptionalHeader.Magic;
    if (pe->magic == IMAGE_NT_OPTIONAL_HDR64_MAGIC) {
        pe->dll_characteristics = nt64->OptionalHeader.DllCharacteristics;
        pe->dirs = nt64->OptionalHeader.DataDirectory;
    } else {
        pe->dll_characteristics = pe->nt32->OptionalHeader.DllCharacteristics;
        pe->dirs = pe->nt32->OptionalHeader.DataDirectory;
    }
    pe->n_sections = pe->nt32->FileHeader.NumberOfSections;
    pe->sections =
        (const IMAGE_SECTION_HEADER *)(const void *)((const unsigned char *)&pe->nt32
                                                         ->OptionalHeader +
                                                     pe->nt32->FileHeader.SizeOfOptionalHeader);
    return true;
}

/* File offset of an RVA, or NULL if no section holds it. */
static const void *rva(const struct pe *pe, DWORD addr)
{
    for (WORD i = 0; i < pe->n_sections; i++) {
        const IMAGE_SECTION_HEADER *s = &pe->sections[i];
        DWORD size =
            s->Misc.VirtualSize > s->SizeOfRawData ? s->Misc.VirtualSize : s->SizeOfRawData;

        if (addr >= s->VirtualAddress && addr < s->VirtualAddress + size) {
            size_t off = (size_t)(addr - s->VirtualAddress) + s->PointerToRawData;
            return off < pe->len ? pe->data + off : NULL;
        }
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t def_exports(char **names, size_t max)
{
    size_t len, n = 0;
    char *text = read_all(g_def, &len);
    char *lines[256];
    size_t count;
    bool in_exports = false;

    assert_non_null(text);
    count = wt_split_lines(text, lines, 256);
    for (size_t i = 0; i < count && n < max; i++) {
        char *l = lines[i];
        char *end;

        while (*l == ' ' || *l == '\t')
            l++;
        end = l + strcspn(l, " \t\r;");
        if (l == end)
            continue;
        *end = '\0';
        if (strcmp(l, "EXPORTS") == 0) {
            in_exports = true;
            continue;
        }
        if (in_exports)
            names[n++] = strdup(l);
    }
    free(text);
    qsort(names, n, sizeof names[0], cmp_str);
    return n;
}

static void check_exports(const struct pe *pe)
{
    const IMAGE_EXPORT_DIRECTORY *ed =
        rva(pe, pe->dirs[IMAGE_DIRECTORY_ENTRY_EXPORT].VirtualAddress);
    const DWORD *name_rvas;
    char *expected[MAX_NAMES];
    size_t n_expected = def_exports(expected, MAX_NAMES);
    const char *actual[MAX_NAMES];

    assert_non_null(ed);
    assert_int_equal(n_expected, 13);
    /* Every function has a name: nothing leaks out by ordinal only. */
    assert_int_equal(ed->NumberOfFunctions, n_expected);
    assert_int_equal(ed->NumberOfNames, n_expected);
    name_rvas = rva(pe, ed->AddressOfNames);
    assert_non_null(name_rvas);
    for (DWORD i = 0; i < ed->NumberOfNames; i++) {
        actual[i] = rva(pe, name_rvas[i]);
        assert_non_null(actual[i]);
        assert_null(strchr(actual[i], '@')); /* plain, undecorated */
    }
    qsort(actual, ed->NumberOfNames, sizeof actual[0], cmp_str);
    for (size_t i = 0; i < n_expected; i++) {
        assert_string_equal(actual[i], expected[i]);
        free(expected[i]);
    }
}

static void check_imports(const struct pe *pe)
{
    const IMAGE_IMPORT_DESCRIPTOR *d =
        rva(pe, pe->dirs[IMAGE_DIRECTORY_ENTRY_IMPORT].VirtualAddress);
    WCHAR sysdir[MAX_PATH];
    int count = 0;

    assert_non_null(d);
    GetSystemDirectoryW(sysdir, MAX_PATH);
    for (; d->Name != 0; d++, count++) {
        const char *name = rva(pe, d->Name);
        bool allowed = false;
        WCHAR path[MAX_PATH];

        assert_non_null(name);
        for (size_t i = 0; i < sizeof system32_dlls / sizeof system32_dlls[0]; i++)
            allowed = allowed || _stricmp(name, system32_dlls[i]) == 0;
        if (!allowed)
            fail_msg("imports %s, which is not a System32 DLL: RRAS would fail to load us", name);
        _snwprintf(path, MAX_PATH, L"%ls\\%hs", sysdir, name);
        path[MAX_PATH - 1] = L'\0';
        if (GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES)
            fail_msg("imports %s, which is not in %ls", name, sysdir);
    }
    assert_true(count >= 2);
}

static void check_dll(const char *path, WORD machine, WORD magic)
{
    struct pe pe;

    if (!pe_open(&pe, path))
        fail_msg("%s is not a readable PE file", path);
    assert_int_equal(pe.machine, machine);
    assert_int_equal(pe.magic, magic);
    assert_true(pe.nt32->FileHeader.Characteristics & IMAGE_FILE_DLL);
    assert_true(pe.dll_characteristics & IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE);
    assert_true(pe.dll_characteristics & IMAGE_DLLCHARACTERISTICS_NX_COMPAT);
    if (magic == IMAGE_NT_OPTIONAL_HDR64_MAGIC)
        assert_true(pe.dll_characteristics & IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA);
    check_exports(&pe);
    check_imports(&pe);
    free(pe.data);
}

static void x64_dll(void **state)
{
    (void)state;
    check_dll(g_x64, IMAGE_FILE_MACHINE_AMD64, IMAGE_NT_OPTIONAL_HDR64_MAGIC);
}

static void x86_dll(void **state)
{
    (void)state;
    if (g_x86 == NULL || GetFileAttributesA(g_x86) == INVALID_FILE_ATTRIBUTES) {
        print_message("the i686 DLL is not built (cmake --build --preset windows-x86)\n");
        skip();
    }
    check_dll(g_x86, IMAGE_FILE_MACHINE_I386, IMAGE_NT_OPTIONAL_HDR32_MAGIC);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(x64_dll),
        cmocka_unit_test(x86_dll),
    };

    if (argc < 3) {
        fprintf(stderr, "usage: test_pe DEF_FILE X64_DLL [X86_DLL]\n");
        return 2;
    }
    g_def = argv[1];
    g_x64 = argv[2];
    g_x86 = argc > 3 ? argv[3] : NULL;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
