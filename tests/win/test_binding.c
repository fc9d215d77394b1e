/* SPDX-License-Identifier: MIT */
/*
 * Binding, as RRAS does it: the callbacks structure rashangup fills (SDK layout,
 * 104 bytes, revision 2, the right slots), the legacy exports, and rrashost's
 * refusal of DLLs that break RRAS's rules. Also DLLPath splitting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include <cmocka.h>

#include "host.h"
#include "wintest.h"

typedef void (*generic_fn)(void);

static generic_fn export_of(HMODULE m, const char *name)
{
    return (generic_fn)GetProcAddress(m, name);
}

static void callbacks_structure_is_sdk_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct rh_admin_dll_callbacks), 104);
    assert_int_equal(offsetof(struct rh_admin_dll_callbacks, lpfnRasAdminAcceptNewConnectionEx),
                     64);
    assert_int_equal(offsetof(struct rh_admin_dll_callbacks, lpfnRasAdminAcceptEndpointChangeEx),
                     72);
    assert_int_equal(
        offsetof(struct rh_admin_dll_callbacks, lpfnRasAdminConnectionHangupNotificationEx), 88);
    assert_int_equal(
        offsetof(struct rh_admin_dll_callbacks, lpfnRASValidatePreAuthenticatedConnectionEx), 96);
}

/* Calls MprAdminInitializeDllEx directly on a poisoned buffer, as a Wine test would. */
static void initialize_ex_fills_every_slot_and_nothing_more(void **state)
{
    WCHAR path[MAX_PATH];
    HMODULE m;
    RH_INITIALIZE_DLL_EX_FN *init;
    RH_TERMINATE_DLL_FN *term;
    unsigned char buf[104 + 32];
    struct rh_admin_dll_callbacks *cb = (struct rh_admin_dll_callbacks *)(void *)buf;

    (void)state;
    wt_reset_config();
    GetFullPathNameW(L"rashangup.dll", MAX_PATH, path, NULL);
    m = LoadLibraryExW(path, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
    assert_non_null(m);
    init = (RH_INITIALIZE_DLL_EX_FN *)export_of(m, "MprAdminInitializeDllEx");
    term = (RH_TERMINATE_DLL_FN *)export_of(m, "MprAdminTerminateDll");
    assert_non_null(init);
    memset(buf, 0xde, sizeof buf);
    SetLastError(0xdeadbeef);
    assert_int_equal(init(cb), NO_ERROR);
    assert_int_equal(GetLastError(), 0xdeadbeef);

    assert_int_equal(cb->revision, 2);
    assert_null(cb->lpfnMprAdminGetIpAddressForUser);
    assert_null(cb->lpfnMprAdminReleaseIpAddress);
    assert_null(cb->lpfnMprAdminGetIpv6AddressForUser);
    assert_null(cb->lpfnMprAdminReleaseIpV6AddressForUser);
    assert_ptr_equal(cb->lpfnRasAdminAcceptNewLink, export_of(m, "MprAdminAcceptNewLink"));
    assert_ptr_equal(cb->lpfnRasAdminLinkHangupNotification,
                     export_of(m, "MprAdminLinkHangupNotification"));
    assert_ptr_equal(cb->lpfnRasAdminTerminateDll, export_of(m, "MprAdminTerminateDll"));
    assert_ptr_equal(cb->lpfnRasAdminAcceptNewConnectionEx,
                     export_of(m, "MprAdminAcceptNewConnectionEx"));
    assert_null(cb->lpfnRasAdminAcceptEndpointChangeEx);
    assert_ptr_equal(cb->lpfnRasAdminAcceptReauthenticationEx,
                     export_of(m, "MprAdminAcceptReauthenticationEx"));
    assert_ptr_equal(cb->lpfnRasAdminConnectionHangupNotificationEx,
                     export_of(m, "MprAdminConnectionHangupNotificationEx"));
    assert_null(cb->lpfnRASValidatePreAuthenticatedConnectionEx);
    for (size_t i = 104; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xde);

    assert_int_equal(init(NULL), ERROR_INVALID_PARAMETER);
    SetLastError(0xdeadbeef);
    assert_int_equal(term(), NO_ERROR);
    assert_int_equal(GetLastError(), 0xdeadbeef);
    FreeLibrary(m);
}

static void host_binds_through_ex(void **state)
{
    struct rh_host_dll dll;
    struct rh_scenario_conn *c = malloc(sizeof *c);
    char err[512] = "";

    (void)state;
    wt_reset_config();
    assert_int_equal(rh_host_load(&dll, L".\\rashangup.dll", RH_HOST_MODEL_AUTO, err, sizeof err),
                     NO_ERROR);
    assert_true(dll.ex_model);
    rh_scenario_make(1, 0, c);
    assert_true(rh_host_accept_connection(&dll, c));
    assert_true(rh_host_accept_link(&dll, c));
    assert_true(dll.callbacks.lpfnRasAdminAcceptReauthenticationEx(&c->ex));
    rh_host_unload(&dll);
    assert_null(dll.module);
    free(c);
}

static void host_binds_through_legacy_exports(void **state)
{
    struct rh_host_dll dll;
    struct rh_scenario_conn *c = malloc(sizeof *c);
    char err[512] = "";
    RH_ACCEPT_REAUTHENTICATION_FN *reauth;

    (void)state;
    wt_reset_config();
    assert_int_equal(rh_host_load(&dll, L".\\rashangup.dll", RH_HOST_MODEL_LEGACY, err, sizeof err),
                     NO_ERROR);
    assert_false(dll.ex_model);
    assert_non_null(dll.accept3);
    assert_non_null(dll.hangup3);
    assert_null(dll.accept1); /* only the ...3 level is exported */
    assert_null(dll.hangup2);
    assert_non_null(dll.accept_link);
    assert_non_null(dll.link_hangup);
    assert_non_null(dll.terminate);
    reauth =
        (RH_ACCEPT_REAUTHENTICATION_FN *)export_of(dll.module, "MprAdminAcceptReauthentication");
    assert_non_null(reauth);
    rh_scenario_make(1, 1, c);
    assert_true(rh_host_accept_connection(&dll, c));
    assert_true(reauth(&c->c0, &c->c1, &c->c2, &c->c3));
    rh_host_unload(&dll);
    free(c);
}

static void expect_refusal(const WCHAR *path, DWORD code, const char *reason)
{
    struct rh_host_dll dll;
    char err[512] = "";

    assert_int_equal(rh_host_load(&dll, path, RH_HOST_MODEL_AUTO, err, sizeof err), code);
    if (strstr(err, reason) == NULL)
        fail_msg("%ls: error \"%s\" does not mention \"%s\"", path, err, reason);
    assert_null(dll.module);
}

static void host_refuses_what_rras_refuses(void **state)
{
    (void)state;
    expect_refusal(L".\\bad_revision1.dll", ERROR_INVALID_PARAMETER, "revision is 1");
    expect_refusal(L".\\bad_no_hangup.dll", ERROR_INVALID_PARAMETER,
                   "ConnectionHangupNotificationEx EMPTY");
    expect_refusal(L".\\bad_ip_half.dll", ERROR_INVALID_PARAMETER, "release pair");
    expect_refusal(L".\\bad_legacy_no_link.dll", ERROR_INVALID_PARAMETER, "MprAdminAcceptNewLink");
    expect_refusal(L".\\bad_init_fails.dll", ERROR_ACCESS_DENIED, "returned 5");
    expect_refusal(L".\\bad_overrun.dll", ERROR_INVALID_PARAMETER, "wrote past");
    expect_refusal(L".\\no_such.dll", ERROR_MOD_NOT_FOUND, "LoadLibraryExW");
}

static void dllpath_splits_like_rras(void **state)
{
    WCHAR e[8][RH_HOST_PATH_MAX];
    int stop;

    (void)state;
    assert_int_equal(rh_host_split_dllpath(L"C:\\a.dll;C:\\b.dll", e, 8, &stop), 2);
    assert_int_equal(stop, -1);
    assert_true(wcscmp(e[1], L"C:\\b.dll") == 0);

    /* An entry that starts with a space stops RRAS there. */
    assert_int_equal(rh_host_split_dllpath(L"C:\\a.dll; C:\\b.dll;C:\\c.dll", e, 8, &stop), 1);
    assert_int_equal(stop, 1);
    assert_true(wcscmp(e[0], L"C:\\a.dll") == 0);

    assert_int_equal(rh_host_split_dllpath(L";;C:\\a.dll;", e, 8, &stop), 1);
    assert_int_equal(stop, -1);
    assert_int_equal(rh_host_split_dllpath(L"", e, 8, &stop), 0);
}

static void dllpath_is_read_and_expanded(void **state)
{
    HKEY key;
    WCHAR out[512];
    WCHAR expected[512];
    const WCHAR value[] = L"%SystemRoot%\\System32\\rashangup.dll;C:\\Vendor\\other.dll";

    (void)state;
    assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, WT_ADMIN_KEY, 0, NULL, 0,
                                     KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &key, NULL),
                     ERROR_SUCCESS);
    RegSetValueExW(key, L"DLLPath", 0, REG_EXPAND_SZ, (const BYTE *)value, sizeof value);
    assert_int_equal(rh_host_read_dllpath(out, 512), ERROR_SUCCESS);
    ExpandEnvironmentStringsW(value, expected, 512);
    assert_true(wcscmp(out, expected) == 0);
    assert_null(wcsstr(out, L"%SystemRoot%"));
    RegDeleteValueW(key, L"DLLPath");
    assert_int_equal(rh_host_read_dllpath(out, 512), ERROR_FILE_NOT_FOUND);
    RegCloseKey(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(callbacks_structure_is_sdk_layout),
        cmocka_unit_test(initialize_ex_fills_every_slot_and_nothing_more),
        cmocka_unit_test(host_binds_through_ex),
        cmocka_unit_test(host_binds_through_legacy_exports),
        cmocka_unit_test(host_refuses_what_rras_refuses),
        cmocka_unit_test(dllpath_splits_like_rras),
        cmocka_unit_test(dllpath_is_read_and_expanded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
