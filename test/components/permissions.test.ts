import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { combinePermissions, permissions } from "../../components/permissions";
import { retainTenantPermissions } from "../../program/tenant";

describe("permissions, read and write apart", () => {
  it("combines per half, each permission once, and leaves out of write what read already has", () => {
    const combined = combinePermissions(
      permissions({ read: { graph: ["User.Read.All"] }, write: { graph: ["User.ReadWrite.All"], cloudflare: ["Zone › DNS › Edit"] } }),
      permissions({ read: { graph: ["User.Read.All", "Application.Read.All"] }, write: { graph: ["User.Read.All", "AppRoleAssignment.ReadWrite.All"] } }),
    );
    assert.deepEqual(combined.read, { graph: ["Application.Read.All", "User.Read.All"], entraRoles: [], cloudflare: [], exchange: [] });
    assert.deepEqual(combined.write, {
      graph: ["AppRoleAssignment.ReadWrite.All", "User.ReadWrite.All"],
      entraRoles: [],
      cloudflare: ["Zone › DNS › Edit"],
      exchange: [],
    });
  });

  it("gives a previewing identity nothing that can change the tenant or its DNS", () => {
    const changes = /ReadWrite|\bEdit\b|Administrator|(?<!View-Only )Organization Management/;
    for (const permission of Object.values(retainTenantPermissions.read).flat()) assert.doesNotMatch(permission, changes);
    assert.ok(
      Object.values(retainTenantPermissions.write)
        .flat()
        .some((permission) => changes.test(permission)),
    );
  });
});
