/* SPDX-License-Identifier: MIT */
#include "trust.h"

static bool trusted_owner(enum rh_principal p)
{
    return p == RH_PRINCIPAL_SYSTEM || p == RH_PRINCIPAL_ADMINS ||
           p == RH_PRINCIPAL_TRUSTED_INSTALLER || p == RH_PRINCIPAL_SELF;
}

/*
 * Whether an allow ACE for `who` may grant modify rights without harm. OWNER
 * RIGHTS stands for the owner, checked trusted before; CREATOR OWNER is only
 * replaced by a real owner in the ACEs children inherit.
 */
static bool trusted_trustee(enum rh_principal who)
{
    return trusted_owner(who) || who == RH_PRINCIPAL_OWNER_RIGHTS ||
           who == RH_PRINCIPAL_CREATOR_OWNER;
}

/* The first effective allow ACE granting anyone untrusted one of `rights`, or n_aces. */
static size_t first_grant(const struct rh_fs_object *o, uint32_t rights)
{
    size_t i;

    for (i = 0; i < o->n_aces; i++) {
        const struct rh_fs_ace *a = &o->aces[i];

        if (a->allow && !a->inherit_only && !trusted_trustee(a->who) && (a->mask & rights) != 0)
            break;
    }
    return i;
}

enum rh_trust rh_trust_check(const struct rh_fs_object *o, bool want_directory, size_t *ace)
{
    if (o->is_reparse_point)
        return RH_TRUST_REPARSE_POINT;
    if (want_directory && !o->is_directory)
        return RH_TRUST_NOT_DIRECTORY;
    if (!want_directory) {
        if (o->is_directory || !o->is_regular)
            return RH_TRUST_NOT_FILE;
        if (o->link_count != 1)
            return RH_TRUST_HARD_LINKS;
    }
    if (!o->has_security)
        return want_directory ? RH_TRUST_UNREADABLE : RH_TRUST_OK;
    if (!trusted_owner(o->owner))
        return RH_TRUST_OWNER;
    if (!o->dacl_present)
        return RH_TRUST_NULL_DACL;
    if (first_grant(o, RH_FS_MODIFY_RIGHTS) < o->n_aces) {
        if (ace != NULL)
            *ace = first_grant(o, RH_FS_MODIFY_RIGHTS);
        return RH_TRUST_WRITABLE;
    }
    return RH_TRUST_OK;
}

enum rh_trust rh_trust_check_parent(const struct rh_fs_object *parent)
{
    if (!parent->has_security || !trusted_owner(parent->owner) || !parent->dacl_present ||
        first_grant(parent, RH_FS_PARENT_RIGHTS) < parent->n_aces)
        return RH_TRUST_PARENT;
    return RH_TRUST_OK;
}

enum rh_trust rh_trust_check_pipe(const struct rh_fs_object *pipe)
{
    if (!pipe->has_security)
        return RH_TRUST_UNREADABLE;
    if (!trusted_owner(pipe->owner))
        return RH_TRUST_OWNER;
    if (!pipe->dacl_present)
        return RH_TRUST_NULL_DACL;
    if (first_grant(pipe, RH_PIPE_SERVER_RIGHTS) < pipe->n_aces)
        return RH_TRUST_WRITABLE;
    return RH_TRUST_OK;
}

const char *rh_trust_text(enum rh_trust t)
{
    switch (t) {
    case RH_TRUST_OK:
        return "trusted";
    case RH_TRUST_REPARSE_POINT:
        return "is a junction, symbolic link or mount point";
    case RH_TRUST_NOT_DIRECTORY:
        return "is not a folder";
    case RH_TRUST_NOT_FILE:
        return "is not a regular file";
    case RH_TRUST_HARD_LINKS:
        return "has more than one name (a hard link)";
    case RH_TRUST_OWNER:
        return "is not owned by SYSTEM, Administrators or TrustedInstaller";
    case RH_TRUST_NULL_DACL:
        return "has no access control list (everyone may change it)";
    case RH_TRUST_WRITABLE:
        return "may be changed by users other than SYSTEM and Administrators";
    case RH_TRUST_UNREADABLE:
        return "has an owner and access list that cannot be read";
    case RH_TRUST_PARENT:
        return "is in a folder that lets users other than SYSTEM and Administrators rename or "
               "replace it";
    }
    return "cannot be trusted";
}
