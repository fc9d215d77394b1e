/* SPDX-License-Identifier: MIT */
#include "wintest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host.h"

static HKEY sink_key(const WCHAR *sink)
{
    WCHAR path[256];
    HKEY key = NULL;

    _snwprintf(path, 256, L"%ls\\Sinks\\%ls", WT_CONFIG_KEY, sink);
    path[255] = L'\0';
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY,
                        NULL, &key, NULL) != ERROR_SUCCESS)
        return NULL;
    return key;
}

void wt_set_sink_string(const WCHAR *sink, const WCHAR *name, DWORD type, const WCHAR *value)
{
    HKEY key = sink_key(sink);

    if (key == NULL)
        return;
    RegSetValueExW(key, name, 0, type, (const BYTE *)value,
                   (DWORD)((wcslen(value) + 1) * sizeof(WCHAR)));
    RegCloseKey(key);
}

void wt_set_sink_dword(const WCHAR *sink, const WCHAR *name, DWORD value)
{
    HKEY key = sink_key(sink);

    if (key == NULL)
        return;
    RegSetValueExW(key, name, 0, REG_DWORD, (const BYTE *)&value, sizeof value);
    RegCloseKey(key);
}

static HKEY config_key(void)
{
    HKEY key = NULL;

    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, WT_CONFIG_KEY, 0, NULL, 0,
                        KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL) != ERROR_SUCCESS)
        return NULL;
    return key;
}

void wt_set_global_dword(const WCHAR *name, DWORD value)
{
    HKEY key = config_key();

    if (key == NULL)
        return;
    RegSetValueExW(key, name, 0, REG_DWORD, (const BYTE *)&value, sizeof value);
    RegCloseKey(key);
}

void wt_set_global_string(const WCHAR *name, DWORD type, const WCHAR *value)
{
    HKEY key = config_key();

    if (key == NULL)
        return;
    RegSetValueExW(key, name, 0, type, (const BYTE *)value,
                   (DWORD)((wcslen(value) + 1) * sizeof(WCHAR)));
    RegCloseKey(key);
}

void wt_clear_config(void)
{
    RegDeleteTreeW(HKEY_LOCAL_MACHINE, WT_CONFIG_KEY);
}

void wt_reset_config(void)
{
    wt_clear_config();
    /*
     * Small: a journal is allocated whole when made, and under Wine that means
     * writing every byte of it (journal_file.c); 16 MiB holds every test's records.
     */
    wt_set_global_dword(L"JournalSizeMB", 16);
}

/* Deletes a folder and everything in it (no links are laid in what this removes). */
void wt_remove_tree(const WCHAR *dir)
{
    WCHAR pattern[MAX_PATH], child[MAX_PATH];
    WIN32_FIND_DATAW fd;
    HANDLE find;

    _snwprintf(pattern, MAX_PATH, L"%ls\\*", dir);
    pattern[MAX_PATH - 1] = L'\0';
    find = FindFirstFileW(pattern, &fd);
    if (find != INVALID_HANDLE_VALUE) {
        do {
            if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0)
                continue;
            _snwprintf(child, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
            child[MAX_PATH - 1] = L'\0';
            if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
                wt_remove_tree(child);
            else
                DeleteFileW(child);
        } while (FindNextFileW(find, &fd));
        FindClose(find);
    }
    RemoveDirectoryW(dir);
}

void wt_make_temp_dir(const WCHAR *tag, WCHAR *out, size_t out_count)
{
    WCHAR temp[MAX_PATH];

    GetTempPathW(MAX_PATH, temp);
    _snwprintf(out, out_count, L"%lsrashangup-%ls-%lu", temp, tag,
               (unsigned long)GetCurrentProcessId());
    out[out_count - 1] = L'\0';
    wt_remove_tree(out); /* Wine reuses process ids: a name may be an earlier run's */
    CreateDirectoryW(out, NULL);
}

char *wt_read_file(const WCHAR *path, size_t *len)
{
    HANDLE h =
        CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, OPEN_EXISTING, 0, NULL);
    LARGE_INTEGER size;
    char *buf;
    DWORD got = 0;

    *len = 0;
    if (h == INVALID_HANDLE_VALUE)
        return NULL;
    if (!GetFileSizeEx(h, &size) || size.QuadPart > 512 * 1024 * 1024) {
        CloseHandle(h);
        return NULL;
    }
    buf = malloc((size_t)size.QuadPart + 1);
    if (buf != NULL && ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL)) {
        buf[got] = '\0';
        *len = got;
    }
    CloseHandle(h);
    return buf;
}

size_t wt_split_lines(char *text, char **lines, size_t max_lines)
{
    size_t n = 0;
    char *p = text;

    while (*p != '\0' && n < max_lines) {
        char *nl = strchr(p, '\n');

        lines[n++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

void wt_program_data_file(const WCHAR *name, WCHAR *out, size_t out_count)
{
    WCHAR dir[MAX_PATH];

    ExpandEnvironmentStringsW(L"%ProgramData%\\RasHangup", dir, MAX_PATH);
    _snwprintf(out, out_count, L"%ls\\%ls", dir, name);
    out[out_count - 1] = L'\0';
}

size_t wt_file_size(const WCHAR *path)
{
    WIN32_FILE_ATTRIBUTE_DATA a;

    if (!GetFileAttributesExW(path, GetFileExInfoStandard, &a))
        return 0;
    return (size_t)(((ULONGLONG)a.nFileSizeHigh << 32) | a.nFileSizeLow);
}

bool wt_log_contains(size_t from, const char *needle)
{
    WCHAR path[MAX_PATH];
    size_t len;
    char *text;
    bool found;

    wt_program_data_file(L"rashangup.log", path, MAX_PATH);
    text = wt_read_file(path, &len);
    if (text == NULL)
        return false;
    found = from <= len && strstr(text + from, needle) != NULL;
    if (!found)
        fprintf(stderr, "log since offset %zu lacks \"%s\":\n%s\n", from, needle,
                from <= len ? text + from : "");
    free(text);
    return found;
}

DWORD wt_run_to(const WCHAR *exe, WCHAR *cmd, const WCHAR *out)
{
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    STARTUPINFOW si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    HANDLE file = INVALID_HANDLE_VALUE;
    DWORD code = 0xdeadbeef;

    if (out != NULL) {
        file = CreateFileW(out, GENERIC_WRITE, FILE_SHARE_READ, &inherit, CREATE_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, NULL);
        assert_true(file != INVALID_HANDLE_VALUE);
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
        si.hStdOutput = si.hStdError = file;
    }
    assert_true(CreateProcessW(exe, cmd, NULL, NULL, out != NULL, 0, NULL, NULL, &si, &pi));
    if (file != INVALID_HANDLE_VALUE)
        CloseHandle(file);
    assert_int_equal(WaitForSingleObject(pi.hProcess, 60000), WAIT_OBJECT_0);
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return code;
}

DWORD wt_run(const WCHAR *exe, WCHAR *cmd)
{
    return wt_run_to(exe, cmd, NULL);
}

size_t wt_log_size(void)
{
    WCHAR path[MAX_PATH];

    wt_program_data_file(L"rashangup.log", path, MAX_PATH);
    return wt_file_size(path);
}

size_t wt_log_count(size_t from, const char *needle)
{
    WCHAR path[MAX_PATH];
    size_t len, n = 0;
    char *text;

    wt_program_data_file(L"rashangup.log", path, MAX_PATH);
    text = wt_read_file(path, &len);
    if (text == NULL)
        return 0;
    for (const char *p = from <= len ? strstr(text + from, needle) : NULL; p != NULL;
         p = strstr(p + 1, needle))
        n++;
    free(text);
    return n;
}

void wt_fresh_config(void)
{
    WCHAR journal[MAX_PATH];

    wt_reset_config();
    wt_program_data_file(L"journal\\journal.dat", journal, MAX_PATH);
    DeleteFileW(journal);
    wt_set_global_dword(L"RetryMinMs", 50);
    wt_set_global_dword(L"RetryMaxMs", 200);
}

int wt_teardown(void **state)
{
    (void)state;
    wt_reset_config();
    return 0;
}

void wt_load(struct rh_host_dll *dll, int model)
{
    char err[512] = "";

    if (rh_host_load(dll, L"rashangup.dll", (enum rh_host_model)model, err, sizeof err) != NO_ERROR)
        fail_msg("rashangup.dll did not bind: %s", err);
}

size_t wt_count_lines(const WCHAR *path)
{
    size_t len = 0, n = 0;
    char *text = wt_read_file(path, &len);

    for (size_t i = 0; text != NULL && i < len; i++)
        n += text[i] == '\n';
    free(text);
    return n;
}

void wt_fixture_request(const char *op, const char *a, const char *b)
{
    WCHAR dir[MAX_PATH], request[MAX_PATH], done[MAX_PATH], tmp[MAX_PATH];
    char line[512];
    HANDLE h;
    DWORD written, n = GetEnvironmentVariableW(L"RH_LINKS_DIR", dir, MAX_PATH);
    int len = snprintf(line, sizeof line, "%s %s %s\n", op, a != NULL ? a : "", b != NULL ? b : "");

    if (n == 0 || n >= MAX_PATH)
        fail_msg("RH_LINKS_DIR is not set: run this test through tests/win/with_fixtures.sh");
    _snwprintf(done, MAX_PATH, L"%ls\\done", dir);
    _snwprintf(tmp, MAX_PATH, L"%ls\\request.tmp", dir);
    _snwprintf(request, MAX_PATH, L"%ls\\request", dir);
    done[MAX_PATH - 1] = tmp[MAX_PATH - 1] = request[MAX_PATH - 1] = L'\0';
    DeleteFileW(done);
    h = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    assert_true(WriteFile(h, line, (DWORD)len, &written, NULL));
    CloseHandle(h);
    assert_true(MoveFileW(tmp, request));
    for (int i = 0; i < 500 && GetFileAttributesW(done) == INVALID_FILE_ATTRIBUTES; i++)
        Sleep(10);
    assert_true(GetFileAttributesW(done) != INVALID_FILE_ATTRIBUTES);
}

void wt_write_file(const WCHAR *path, const char *text)
{
    HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD written = 0;

    assert_true(h != INVALID_HANDLE_VALUE);
    assert_true(WriteFile(h, text, (DWORD)strlen(text), &written, NULL));
    assert_int_equal(written, strlen(text));
    CloseHandle(h);
}
