/* SPDX-License-Identifier: MIT */
/*
 * Install and uninstall through the real regsvr32.exe: AdminDll\DLLPath with
 * other vendors' entries before, around and after ours, with a leading space,
 * with environment strings, long; each run twice. Also the Event Log source, the
 * configuration key's DACL, the administrator's configuration surviving an
 * uninstall, and rrashost finding and binding the DLL that install registered.
 *
 * The AdminDll key and the event source are put back as they were; the
 * configuration key is removed at the end, as the other tests expect.
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
#include <aclapi.h>
#include <sddl.h>

#include "host.h"
#include "wintest.h"

#define EVENT_SOURCE_KEY L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\RasHangup"
#define INSTALL_KEY      WT_CONFIG_KEY L"\\Install"
#define LIST_MAX         32768
#define SAVED_MAX        32

/* regsvr32's exit code when DllRegisterServer or DllUnregisterServer fails. */
#define REGSVR32_FAIL_REG 5

static WCHAR g_dll[MAX_PATH];
static WCHAR g_dll_dir[MAX_PATH];
static WCHAR g_regsvr32[MAX_PATH];

/* A key's values, to put back at the end. Subkeys are left alone. */
struct saved_key {
    bool exists;
    size_t n;
    struct {
        WCHAR name[256];
        DWORD type;
        BYTE *data;
        DWORD size;
    } v[SAVED_MAX];
};

static struct saved_key g_saved_admin, g_saved_source;

static void save_key(const WCHAR *path, struct saved_key *s)
{
    HKEY key;

    memset(s, 0, sizeof *s);
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS)
        return;
    s->exists = true;
    for (DWORD i = 0; s->n < SAVED_MAX; i++) {
        DWORD name_len = 256, size = 0, type;

        if (RegEnumValueW(key, i, s->v[s->n].name, &name_len, NULL, &type, NULL, &size) !=
            ERROR_SUCCESS)
            break;
        s->v[s->n].data = malloc(size + 2);
        s->v[s->n].size = size;
        name_len = 256;
        if (s->v[s->n].data != NULL &&
            RegEnumValueW(key, i, s->v[s->n].name, &name_len, NULL, &s->v[s->n].type,
                          s->v[s->n].data, &s->v[s->n].size) == ERROR_SUCCESS)
            s->n++;
    }
    RegCloseKey(key);
}

static void delete_key(const WCHAR *path)
{
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, path);
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, path, KEY_WOW64_64KEY, 0);
}

static void restore_key(const WCHAR *path, struct saved_key *s)
{
    HKEY key;
    WCHAR name[256];
    DWORD len = 256;

    if (!s->exists) {
        delete_key(path);
        return;
    }
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY,
                        NULL, &key, NULL) != ERROR_SUCCESS)
        return;
    while (RegEnumValueW(key, 0, name, &len, NULL, NULL, NULL, NULL) == ERROR_SUCCESS &&
           RegDeleteValueW(key, name) == ERROR_SUCCESS)
        len = 256;
    for (size_t i = 0; i < s->n; i++) {
        RegSetValueExW(key, s->v[i].name, 0, s->v[i].type, s->v[i].data, s->v[i].size);
        free(s->v[i].data);
    }
    RegCloseKey(key);
}

static bool key_exists(const WCHAR *path)
{
    HKEY key;

    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS)
        return false;
    RegCloseKey(key);
    return true;
}

static void set_dllpath(DWORD type, const WCHAR *value)
{
    HKEY key;

    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, WT_ADMIN_KEY, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL),
                     ERROR_SUCCESS);
    assert_int_equal(RegSetValueExW(key, L"DLLPath", 0, type, (const BYTE *)value,
                                    (DWORD)((wcslen(value) + 1) * sizeof(WCHAR))),
                     ERROR_SUCCESS);
    RegCloseKey(key);
}

/* DLLPath's type and text (not expanded); false if the value is absent. */
static bool get_dllpath(DWORD *type, WCHAR *out, size_t out_count)
{
    DWORD bytes = (DWORD)((out_count - 1) * sizeof(WCHAR));
    HKEY key;
    LSTATUS rc;

    out[0] = L'\0';
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, WT_ADMIN_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS)
        return false;
    rc = RegQueryValueExW(key, L"DLLPath", NULL, type, (BYTE *)out, &bytes);
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS)
        return false;
    out[bytes / sizeof(WCHAR)] = L'\0';
    return true;
}

static void expect_dllpath(DWORD type, const WCHAR *expected)
{
    static WCHAR actual[LIST_MAX];
    DWORD actual_type = REG_NONE;

    if (!get_dllpath(&actual_type, actual, LIST_MAX))
        fail_msg("DLLPath is absent; expected \"%ls\"", expected);
    if (wcscmp(actual, expected) != 0)
        fail_msg("DLLPath is \"%ls\"\n  expected \"%ls\"", actual, expected);
    assert_int_equal(actual_type, type);
}

static void expect_no_dllpath(void)
{
    static WCHAR actual[LIST_MAX];
    DWORD type;

    if (get_dllpath(&type, actual, LIST_MAX))
        fail_msg("DLLPath is \"%ls\"; expected no value", actual);
}

/* Runs regsvr32.exe /s [/u] on the DLL and returns its exit code. */
static DWORD regsvr32(bool uninstall)
{
    WCHAR cmd[3 * MAX_PATH];
    STARTUPINFOW si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    DWORD code = 0xdeadbeef;

    _snwprintf(cmd, sizeof cmd / sizeof cmd[0], L"\"%ls\" /s %ls\"%ls\"", g_regsvr32,
               uninstall ? L"/u " : L"", g_dll);
    cmd[sizeof cmd / sizeof cmd[0] - 1] = L'\0';
    if (!CreateProcessW(g_regsvr32, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
        fail_msg("%ls cannot be started: error %lu", g_regsvr32, GetLastError());
    assert_int_equal(WaitForSingleObject(pi.hProcess, 60000), WAIT_OBJECT_0);
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return code;
}

static void install_ok(void)
{
    assert_int_equal(regsvr32(false), 0);
}

static void uninstall_ok(void)
{
    assert_int_equal(regsvr32(true), 0);
}

/* What rrashost reads from DLLPath, as RRAS does: our DLL, and no stop before it. */
static void expect_rrashost_finds_dll(void)
{
    static WCHAR list[4096];
    static WCHAR entries[RH_HOST_MAX_DLLS][RH_HOST_PATH_MAX];
    int stopped_at = 0;
    size_t n, found = 0;

    assert_int_equal(rh_host_read_dllpath(list, sizeof list / sizeof list[0]), ERROR_SUCCESS);
    n = rh_host_split_dllpath(list, entries, RH_HOST_MAX_DLLS, &stopped_at);
    assert_int_equal(stopped_at, -1);
    for (size_t i = 0; i < n; i++) {
        WCHAR full[MAX_PATH];

        /* What LoadLibrary would open: '/' and '\' alike. */
        if (GetFullPathNameW(entries[i], MAX_PATH, full, NULL) - 1 < MAX_PATH - 1 &&
            CompareStringOrdinal(full, -1, g_dll, -1, TRUE) == CSTR_EQUAL)
            found++;
    }
    if (found != 1)
        fail_msg("rrashost finds our DLL %zu times in \"%ls\"", found, list);
}

static char *log_since(size_t from)
{
    WCHAR path[MAX_PATH];
    size_t len;
    char *text;

    wt_program_data_file(L"rashangup.log", path, MAX_PATH);
    text = wt_read_file(path, &len);
    if (text != NULL && from <= len)
        memmove(text, text + from, len - from + 1);
    return text;
}

static size_t log_size(void)
{
    WCHAR path[MAX_PATH];

    wt_program_data_file(L"rashangup.log", path, MAX_PATH);
    return wt_file_size(path);
}

/* regsvr32 never starts the runtime: no "started on" line in what it logged. */
static void expect_runtime_not_started(size_t from)
{
    char *text = log_since(from);

    assert_non_null(text);
    assert_non_null(strstr(text, "install: "));
    if (strstr(text, "started on") != NULL)
        fail_msg("regsvr32 started the runtime:\n%s", text);
    free(text);
}

static PSID sid(const WCHAR *text)
{
    PSID s = NULL;

    assert_true(ConvertStringSidToSidW(text, &s));
    return s;
}

static PSECURITY_DESCRIPTOR key_security(const WCHAR *path)
{
    HKEY key;
    DWORD size = 0;
    PSECURITY_DESCRIPTOR sd;

    assert_int_equal(
        RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, READ_CONTROL | KEY_WOW64_64KEY, &key),
        ERROR_SUCCESS);
    assert_int_equal(RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, NULL, &size),
                     ERROR_INSUFFICIENT_BUFFER);
    sd = malloc(size);
    assert_non_null(sd);
    assert_int_equal(RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, sd, &size), ERROR_SUCCESS);
    RegCloseKey(key);
    return sd;
}

static void print_sddl(const char *what, PSECURITY_DESCRIPTOR sd)
{
    LPWSTR text = NULL;

    if (ConvertSecurityDescriptorToStringSecurityDescriptorW(
            sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, NULL)) {
        print_message("%s: %ls\n", what, text);
        LocalFree(text);
    }
}

/*
 * Whether the key's DACL lets nobody in but S-1-5-18 and S-1-5-32-544. With
 * `exact`: protected, and exactly those two, full control, inherited by subkeys.
 */
static bool dacl_is_private(const WCHAR *path, bool exact)
{
    PSECURITY_DESCRIPTOR sd = key_security(path);
    PSID system = sid(L"S-1-5-18");
    PSID admins = sid(L"S-1-5-32-544");
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision;
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = NULL;
    bool ok, seen_system = false, seen_admins = false;

    assert_true(GetSecurityDescriptorControl(sd, &control, &revision));
    assert_true(GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
    ok = present && dacl != NULL;
    if (ok && exact)
        ok = (control & SE_DACL_PROTECTED) != 0 && dacl->AceCount == 2;
    for (DWORD i = 0; ok && i < dacl->AceCount; i++) {
        void *ace = NULL;
        ACCESS_ALLOWED_ACE *allow;

        assert_true(GetAce(dacl, i, &ace));
        allow = ace;
        if (allow->Header.AceType == ACCESS_DENIED_ACE_TYPE && !exact)
            continue;
        ok = allow->Header.AceType == ACCESS_ALLOWED_ACE_TYPE;
        if (ok && EqualSid(&allow->SidStart, system))
            seen_system = true;
        else if (ok && EqualSid(&allow->SidStart, admins))
            seen_admins = true;
        else
            ok = false;
        if (ok && exact)
            ok = allow->Mask == KEY_ALL_ACCESS &&
                 (allow->Header.AceFlags & CONTAINER_INHERIT_ACE) != 0 &&
                 (allow->Header.AceFlags & INHERIT_ONLY_ACE) == 0;
    }
    if (ok && exact)
        ok = seen_system && seen_admins;
    if (!ok) {
        char what[512];

        snprintf(what, sizeof what, "DACL of HKLM\\%ls", path);
        print_sddl(what, sd);
    }
    LocalFree(system);
    LocalFree(admins);
    free(sd);
    return ok;
}

static void expect_event_source(void)
{
    WCHAR file[MAX_PATH];
    DWORD types = 0, type = REG_NONE;
    DWORD size = sizeof file - sizeof(WCHAR);
    HKEY key;

    assert_int_equal(
        RegOpenKeyExW(HKEY_LOCAL_MACHINE, EVENT_SOURCE_KEY, 0, KEY_READ | KEY_WOW64_64KEY, &key),
        ERROR_SUCCESS);
    assert_int_equal(RegQueryValueExW(key, L"EventMessageFile", NULL, &type, (BYTE *)file, &size),
                     ERROR_SUCCESS);
    file[size / sizeof(WCHAR)] = L'\0';
    assert_int_equal(type, REG_EXPAND_SZ);
    if (_wcsicmp(file, g_dll) != 0)
        fail_msg("EventMessageFile is \"%ls\", not \"%ls\"", file, g_dll);
    size = sizeof types;
    assert_int_equal(RegQueryValueExW(key, L"TypesSupported", NULL, &type, (BYTE *)&types, &size),
                     ERROR_SUCCESS);
    assert_int_equal(type, REG_DWORD);
    assert_int_equal(types, 7);
    RegCloseKey(key);
}

/* What install leaves besides DLLPath. */
static void expect_installed(void)
{
    expect_event_source();
    assert_true(key_exists(WT_CONFIG_KEY));
    assert_true(key_exists(INSTALL_KEY));
    assert_true(dacl_is_private(WT_CONFIG_KEY, true));
    assert_true(dacl_is_private(INSTALL_KEY, false));
}

/* Everything install created is gone. */
static void expect_uninstalled(void)
{
    assert_false(key_exists(EVENT_SOURCE_KEY));
    assert_false(key_exists(INSTALL_KEY));
    assert_false(key_exists(WT_CONFIG_KEY));
}

static void list_of(WCHAR *out, size_t count, const WCHAR *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    _vsnwprintf(out, count, fmt, ap);
    va_end(ap);
    out[count - 1] = L'\0';
}

static int reset_state(void **state)
{
    (void)state;
    delete_key(WT_ADMIN_KEY);
    delete_key(EVENT_SOURCE_KEY);
    wt_clear_config();
    return 0;
}

/* No AdminDll key: install creates key and value; uninstall removes both. */
static void no_admin_dll_key(void **state)
{
    static struct rh_host_dll dll;
    char err[256] = "";
    size_t from = log_size();
    char *text;

    (void)state;
    assert_false(key_exists(WT_ADMIN_KEY));
    install_ok();
    expect_runtime_not_started(from);
    expect_dllpath(REG_SZ, g_dll);
    expect_installed();
    install_ok();
    expect_dllpath(REG_SZ, g_dll);
    expect_installed();

    /* rrashost finds the DLL and binds it as RRAS would; the record of the
     * install in the configuration key trips none of the loader's checks. */
    expect_rrashost_finds_dll();
    from = log_size();
    assert_int_equal(rh_host_load(&dll, g_dll, RH_HOST_MODEL_AUTO, err, sizeof err), 0);
    rh_host_unload(&dll);
    text = log_since(from);
    assert_non_null(text);
    assert_non_null(strstr(text, "started on"));
    if (strstr(text, "ERROR") != NULL || strstr(text, "Install") != NULL)
        fail_msg("the runtime complained about the configuration install left:\n%s", text);
    free(text);

    uninstall_ok();
    assert_false(key_exists(WT_ADMIN_KEY));
    expect_uninstalled();
    uninstall_ok();
    assert_false(key_exists(WT_ADMIN_KEY));
    expect_uninstalled();
}

/* The key exists with another value but no DLLPath: only the value comes and goes. */
static void admin_dll_key_without_value(void **state)
{
    HKEY key;
    static const WCHAR name[] = L"Vendor";

    (void)state;
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, WT_ADMIN_KEY, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL),
                     ERROR_SUCCESS);
    RegSetValueExW(key, L"DisplayName", 0, REG_SZ, (const BYTE *)name, sizeof name);
    RegCloseKey(key);
    install_ok();
    expect_dllpath(REG_SZ, g_dll);
    uninstall_ok();
    uninstall_ok();
    assert_true(key_exists(WT_ADMIN_KEY));
    expect_no_dllpath();
    expect_uninstalled();
}

/* Other vendors' DLLs first: ours is appended, theirs stay in order. */
static void entries_before(void **state)
{
    static WCHAR expected[LIST_MAX];

    (void)state;
    set_dllpath(REG_SZ, L"C:\\a.dll;C:\\b.dll");
    list_of(expected, LIST_MAX, L"C:\\a.dll;C:\\b.dll;%ls", g_dll);
    install_ok();
    expect_dllpath(REG_SZ, expected);
    expect_installed();
    install_ok();
    expect_dllpath(REG_SZ, expected);
    expect_rrashost_finds_dll();
    uninstall_ok();
    expect_dllpath(REG_SZ, L"C:\\a.dll;C:\\b.dll");
    expect_uninstalled();
    uninstall_ok();
    expect_dllpath(REG_SZ, L"C:\\a.dll;C:\\b.dll");
}

/*
 * Ours already listed between two others, written differently (case, '/'):
 * install recognises it and changes nothing; uninstall takes it out.
 */
static void ours_in_the_middle(void **state)
{
    static WCHAR variant[MAX_PATH], list[LIST_MAX];

    (void)state;
    wcscpy(variant, g_dll);
    CharLowerW(variant);
    for (WCHAR *p = wcschr(variant, L'\\'); p != NULL; p = wcschr(p, L'\\'))
        *p = L'/';
    list_of(list, LIST_MAX, L"C:\\a.dll;%ls;C:\\b.dll", variant);
    set_dllpath(REG_EXPAND_SZ, list);
    install_ok();
    expect_dllpath(REG_EXPAND_SZ, list);
    install_ok();
    expect_dllpath(REG_EXPAND_SZ, list);
    expect_installed();
    expect_rrashost_finds_dll();
    uninstall_ok();
    expect_dllpath(REG_EXPAND_SZ, L"C:\\a.dll;C:\\b.dll");
    uninstall_ok();
    expect_dllpath(REG_EXPAND_SZ, L"C:\\a.dll;C:\\b.dll");
    expect_uninstalled();
}

/* RRAS stops at an entry that starts with a space: install repairs the list. */
static void entry_with_leading_space(void **state)
{
    static WCHAR list[4096], expected[LIST_MAX];
    static WCHAR entries[RH_HOST_MAX_DLLS][RH_HOST_PATH_MAX];
    int stopped_at = -1;

    (void)state;
    set_dllpath(REG_SZ, L"C:\\a.dll; C:\\b.dll");
    /* Before: RRAS (rrashost) would load C:\a.dll only. */
    assert_int_equal(rh_host_read_dllpath(list, sizeof list / sizeof list[0]), ERROR_SUCCESS);
    assert_int_equal(rh_host_split_dllpath(list, entries, RH_HOST_MAX_DLLS, &stopped_at), 1);
    assert_int_equal(stopped_at, 1);

    list_of(expected, LIST_MAX, L"C:\\a.dll;C:\\b.dll;%ls", g_dll);
    install_ok();
    expect_dllpath(REG_SZ, expected);
    install_ok();
    expect_dllpath(REG_SZ, expected);
    expect_rrashost_finds_dll();
    assert_int_equal(rh_host_read_dllpath(list, sizeof list / sizeof list[0]), ERROR_SUCCESS);
    assert_int_equal(rh_host_split_dllpath(list, entries, RH_HOST_MAX_DLLS, &stopped_at), 3);
    uninstall_ok();
    expect_dllpath(REG_SZ, L"C:\\a.dll;C:\\b.dll");
    uninstall_ok();
    expect_dllpath(REG_SZ, L"C:\\a.dll;C:\\b.dll");
    expect_uninstalled();
}

/*
 * REG_EXPAND_SZ with our entry through an environment string, padded, duplicated,
 * with empty entries: the type stays, our first entry stays, the rest is tidied.
 */
static void expand_sz_duplicates_and_blanks(void **state)
{
    static WCHAR list[LIST_MAX];

    (void)state;
    SetEnvironmentVariableW(L"RH_TEST_DLL_DIR", g_dll_dir);
    list_of(list, LIST_MAX, L" %%RH_TEST_DLL_DIR%%\\rashangup.dll \t;;C:\\a.dll ;%ls;", g_dll);
    set_dllpath(REG_EXPAND_SZ, list);
    install_ok();
    expect_dllpath(REG_EXPAND_SZ, L"%RH_TEST_DLL_DIR%\\rashangup.dll;C:\\a.dll");
    install_ok();
    expect_dllpath(REG_EXPAND_SZ, L"%RH_TEST_DLL_DIR%\\rashangup.dll;C:\\a.dll");
    expect_rrashost_finds_dll();
    uninstall_ok();
    expect_dllpath(REG_EXPAND_SZ, L"C:\\a.dll");
    uninstall_ok();
    expect_dllpath(REG_EXPAND_SZ, L"C:\\a.dll");
    SetEnvironmentVariableW(L"RH_TEST_DLL_DIR", NULL);
}

/* A DLLPath far longer than MAX_PATH (and than rrashost's buffer) is handled whole. */
static void long_dllpath(void **state)
{
    static WCHAR original[LIST_MAX], expected[LIST_MAX];
    size_t n = 0;

    (void)state;
    for (int i = 0; i < 60; i++) {
        int k = _snwprintf(original + n, LIST_MAX - n, L"%lsC:\\Vendor%02d\\%0200d.dll",
                           i > 0 ? L";" : L"", i, 0);

        assert_true(k > 0);
        n += (size_t)k;
    }
    assert_true(n > 12000);
    set_dllpath(REG_SZ, original);
    list_of(expected, LIST_MAX, L"%ls;%ls", original, g_dll);
    install_ok();
    expect_dllpath(REG_SZ, expected);
    install_ok();
    expect_dllpath(REG_SZ, expected);
    uninstall_ok();
    expect_dllpath(REG_SZ, original);
}

/*
 * The administrator configured sinks before installing: the key's DACL is
 * tightened, subkeys included (Wine's keys let BUILTIN\Users read); uninstall
 * keeps the configuration and removes only install's record.
 */
static void existing_configuration_is_protected_and_kept(void **state)
{
    static const WCHAR secret[] = L"s3cret";
    WCHAR value[64];
    DWORD size = sizeof value, type = REG_NONE;
    HKEY key;

    (void)state;
    wt_set_sink_string(L"radius", L"Type", REG_SZ, L"radius");
    wt_set_sink_string(L"radius", L"Secret", REG_SZ, secret);
    wt_set_global_dword(L"JournalSizeMB", 64);
    /* A new key lets BUILTIN\Users read it (inherited from SOFTWARE on Windows, Wine's default). */
    assert_false(dacl_is_private(WT_CONFIG_KEY L"\\Sinks\\radius", false));

    install_ok();
    expect_installed();
    assert_true(dacl_is_private(WT_CONFIG_KEY L"\\Sinks", false));
    assert_true(dacl_is_private(WT_CONFIG_KEY L"\\Sinks\\radius", false));
    install_ok();
    assert_true(dacl_is_private(WT_CONFIG_KEY, true));

    uninstall_ok();
    assert_false(key_exists(INSTALL_KEY));
    assert_false(key_exists(EVENT_SOURCE_KEY));
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, WT_CONFIG_KEY L"\\Sinks\\radius", 0,
                                   KEY_READ | KEY_WOW64_64KEY, &key),
                     ERROR_SUCCESS);
    assert_int_equal(RegQueryValueExW(key, L"Secret", NULL, &type, (BYTE *)value, &size),
                     ERROR_SUCCESS);
    RegCloseKey(key);
    assert_int_equal(type, REG_SZ);
    assert_memory_equal(value, secret, sizeof secret);
    /* Still private: uninstall does not loosen what install tightened. */
    assert_true(dacl_is_private(WT_CONFIG_KEY, true));
    uninstall_ok();
    assert_true(key_exists(WT_CONFIG_KEY L"\\Sinks\\radius"));
}

#define LINK_KEY    WT_CONFIG_KEY L"\\Sinks\\lnk"
#define LINK_TARGET L"SOFTWARE\\RasHangupTestLinkTarget"

/* ntdll's NtDeleteKey: what deletes a registry link itself. */
typedef LONG NTAPI nt_delete_key(HANDLE key);

/* Removes the test's registry link (never what it names), then its target. */
static void remove_test_link(void)
{
    nt_delete_key *delete_link =
        (nt_delete_key *)(uintptr_t)GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtDeleteKey");
    HKEY link;

    if (delete_link != NULL && RegOpenKeyExW(HKEY_LOCAL_MACHINE, LINK_KEY, REG_OPTION_OPEN_LINK,
                                             DELETE | KEY_WOW64_64KEY, &link) == ERROR_SUCCESS) {
        delete_link(link);
        RegCloseKey(link);
    }
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, LINK_TARGET, KEY_WOW64_64KEY, 0);
}

static int remove_test_link_after(void **state)
{
    (void)state;
    remove_test_link();
    return 0;
}

/* The owner of key HKLM\path, as a SID string (LocalFree it). */
static WCHAR *owner_of(const WCHAR *path)
{
    HKEY key;
    PSID owner = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    WCHAR *text = NULL;

    assert_int_equal(
        RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, READ_CONTROL | KEY_WOW64_64KEY, &key),
        ERROR_SUCCESS);
    assert_int_equal(GetSecurityInfo(key, SE_REGISTRY_KEY, OWNER_SECURITY_INFORMATION, &owner, NULL,
                                     NULL, NULL, &sd),
                     ERROR_SUCCESS);
    assert_true(ConvertSidToStringSidW(owner, &text));
    LocalFree(sd);
    RegCloseKey(key);
    return text;
}

/*
 * A subkey another account made before install becomes Administrators' (an
 * owner may always rewrite the DACL, and open the key again); a registry link
 * among the subkeys is not followed: the key it names elsewhere in HKLM keeps
 * its DACL, and the link is reported.
 */
static void another_accounts_subkey_and_a_link_are_not_left_to_them(void **state)
{
    static const WCHAR link_value[] = L"\\Registry\\Machine\\" LINK_TARGET;
    size_t from = wt_log_size();
    PSID users = sid(L"S-1-5-32-545");
    HKEY key, link;
    WCHAR *owner;

    (void)state;
    wt_set_sink_string(L"theirs", L"Type", REG_SZ, L"file");
    assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, WT_CONFIG_KEY L"\\Sinks\\theirs", 0,
                                   WRITE_OWNER | KEY_WOW64_64KEY, &key),
                     ERROR_SUCCESS);
    assert_int_equal(
        SetSecurityInfo(key, SE_REGISTRY_KEY, OWNER_SECURITY_INFORMATION, users, NULL, NULL, NULL),
        ERROR_SUCCESS);
    RegCloseKey(key);
    LocalFree(users);
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, LINK_TARGET, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL),
                     ERROR_SUCCESS);
    RegCloseKey(key);
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, LINK_KEY, 0, NULL, REG_OPTION_CREATE_LINK,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &link, NULL),
                     ERROR_SUCCESS);
    assert_int_equal(RegSetValueExW(link, L"SymbolicLinkValue", 0, REG_LINK,
                                    (const BYTE *)link_value,
                                    (DWORD)(wcslen(link_value) * sizeof(WCHAR))),
                     ERROR_SUCCESS);
    RegCloseKey(link);
    assert_false(dacl_is_private(LINK_TARGET, false));

    install_ok();
    owner = owner_of(WT_CONFIG_KEY L"\\Sinks\\theirs");
    assert_string_equal(owner, L"S-1-5-32-544");
    LocalFree(owner);
    assert_true(wt_log_contains(from, "Sinks\\theirs was owned by another account (S-1-5-32-545)"));
    assert_true(wt_log_contains(from, "Sinks\\lnk is a registry link to another key"));
    assert_false(dacl_is_private(LINK_TARGET, false));
}

/* Install created the key, then the administrator configured a sink: it stays. */
static void configuration_added_after_install_is_kept(void **state)
{
    (void)state;
    install_ok();
    wt_set_sink_string(L"syslog", L"Type", REG_SZ, L"syslog");
    uninstall_ok();
    assert_false(key_exists(INSTALL_KEY));
    assert_true(key_exists(WT_CONFIG_KEY L"\\Sinks\\syslog"));
    assert_false(key_exists(EVENT_SOURCE_KEY));
    assert_false(key_exists(WT_ADMIN_KEY));
}

/* An event source install did not create is updated, and left by uninstall. */
static void existing_event_source_is_kept(void **state)
{
    HKEY key;

    (void)state;
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, EVENT_SOURCE_KEY, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL),
                     ERROR_SUCCESS);
    RegCloseKey(key);
    install_ok();
    expect_event_source();
    uninstall_ok();
    assert_true(key_exists(EVENT_SOURCE_KEY));
    assert_false(key_exists(WT_CONFIG_KEY));
}

/* A DLLPath RRAS cannot read: install fails, says why, and changes nothing. */
static void dllpath_of_the_wrong_type(void **state)
{
    DWORD one = 1, type = REG_NONE, value = 0, size = sizeof value;
    size_t from = log_size();
    HKEY key;

    (void)state;
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, WT_ADMIN_KEY, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL),
                     ERROR_SUCCESS);
    RegSetValueExW(key, L"DLLPath", 0, REG_DWORD, (const BYTE *)&one, sizeof one);
    assert_int_equal(regsvr32(false), REGSVR32_FAIL_REG);
    assert_true(wt_log_contains(from, "value DLLPath has registry type 4"));
    assert_false(key_exists(WT_CONFIG_KEY));
    assert_false(key_exists(EVENT_SOURCE_KEY));
    uninstall_ok();
    assert_int_equal(RegQueryValueExW(key, L"DLLPath", NULL, &type, (BYTE *)&value, &size),
                     ERROR_SUCCESS);
    RegCloseKey(key);
    assert_int_equal(type, REG_DWORD);
    assert_int_equal(value, 1);
}

static int group_setup(void **state)
{
    WCHAR sysdir[MAX_PATH];
    WCHAR *slash;

    (void)state;
    GetFullPathNameW(L"rashangup.dll", MAX_PATH, g_dll, NULL);
    if (GetFileAttributesW(g_dll) == INVALID_FILE_ATTRIBUTES) {
        fprintf(stderr, "%ls does not exist: run from the build folder\n", g_dll);
        return -1;
    }
    wcscpy(g_dll_dir, g_dll);
    slash = wcsrchr(g_dll_dir, L'\\');
    if (slash != NULL)
        *slash = L'\0';
    GetSystemDirectoryW(sysdir, MAX_PATH);
    _snwprintf(g_regsvr32, MAX_PATH, L"%ls\\regsvr32.exe", sysdir);
    g_regsvr32[MAX_PATH - 1] = L'\0';
    save_key(WT_ADMIN_KEY, &g_saved_admin);
    save_key(EVENT_SOURCE_KEY, &g_saved_source);
    remove_test_link(); /* an earlier run's, had it stopped before its teardown */
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    restore_key(WT_ADMIN_KEY, &g_saved_admin);
    restore_key(EVENT_SOURCE_KEY, &g_saved_source);
    wt_clear_config();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(no_admin_dll_key, reset_state),
        cmocka_unit_test_setup(admin_dll_key_without_value, reset_state),
        cmocka_unit_test_setup(entries_before, reset_state),
        cmocka_unit_test_setup(ours_in_the_middle, reset_state),
        cmocka_unit_test_setup(entry_with_leading_space, reset_state),
        cmocka_unit_test_setup(expand_sz_duplicates_and_blanks, reset_state),
        cmocka_unit_test_setup(long_dllpath, reset_state),
        cmocka_unit_test_setup(existing_configuration_is_protected_and_kept, reset_state),
        cmocka_unit_test_setup_teardown(another_accounts_subkey_and_a_link_are_not_left_to_them,
                                        reset_state, remove_test_link_after),
        cmocka_unit_test_setup(configuration_added_after_install_is_kept, reset_state),
        cmocka_unit_test_setup(existing_event_source_is_kept, reset_state),
        cmocka_unit_test_setup(dllpath_of_the_wrong_type, reset_state),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
