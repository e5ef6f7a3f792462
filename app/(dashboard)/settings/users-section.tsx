"use client";
import { useActionState } from "react";
import { Field, FormStatus, SubmitButton, TextField, inputClass } from "@/components/ui/form";
import { createUserAction, userAction } from "./actions";

type User = { id: string; email: string; name: string | null; role: string; createdAt: string };

function UserRow({ user, self }: { user: User; self: boolean }) {
  const [state, action] = useActionState(userAction, null);
  return (
    <tr className="border-t border-slate-100">
      <td className="py-2">{user.email}{self && <span className="ml-2 text-xs text-slate-500">(you)</span>}</td>
      <td>
        <form action={action} className="flex items-center gap-2">
          <input type="hidden" name="id" value={user.id} />
          <input type="hidden" name="op" value="role" />
          <select name="role" defaultValue={user.role} className={`${inputClass} mt-0 w-28`} aria-label={`Role of ${user.email}`}>
            <option value="admin">admin</option>
            <option value="viewer">viewer</option>
          </select>
          <SubmitButton variant="secondary" pendingText="…">Change</SubmitButton>
        </form>
      </td>
      <td>
        {!self && (
          <form action={action} className="flex items-center gap-2" aria-label={`Reset password of ${user.email}`}>
            <input type="hidden" name="id" value={user.id} />
            <input type="hidden" name="op" value="password" />
            <input type="password" name="password" autoComplete="new-password" placeholder="new password" className={`${inputClass} mt-0 w-40`} aria-label={`New password for ${user.email}`} />
            <SubmitButton variant="secondary" pendingText="…">Reset</SubmitButton>
          </form>
        )}
      </td>
      <td className="text-right">
        {!self && (
          <form action={action} onSubmit={(e) => { if (!confirm(`Delete ${user.email}?`)) e.preventDefault(); }}>
            <input type="hidden" name="id" value={user.id} />
            <input type="hidden" name="op" value="delete" />
            <SubmitButton variant="danger" pendingText="Deleting…">Delete</SubmitButton>
          </form>
        )}
        <FormStatus state={state} />
      </td>
    </tr>
  );
}

export function UsersSection({ users, currentUserId }: { users: User[]; currentUserId?: string }) {
  const [state, action] = useActionState(createUserAction, null);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <div className="space-y-4">
      <table className="w-full text-left text-sm">
        <thead className="text-xs uppercase text-slate-500"><tr><th className="py-1">E-mail</th><th>Role</th><th>Password</th><th /></tr></thead>
        <tbody>{users.map((u) => <UserRow key={u.id} user={u} self={u.id === currentUserId} />)}</tbody>
      </table>
      <form action={action} className="grid items-end gap-3 sm:grid-cols-[1fr_1fr_8rem_auto]" aria-label="Create user">
        <TextField label="E-mail" name="email" type="email" error={fe?.email} />
        <TextField label="Password" name="password" type="password" error={fe?.password} autoComplete="new-password" />
        <Field label="Role" name="new-role" error={fe?.role}>
          <select id="new-role" name="role" className={inputClass} defaultValue="viewer">
            <option value="viewer">viewer</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <SubmitButton pendingText="Creating…">Add user</SubmitButton>
      </form>
      <FormStatus state={state} />
    </div>
  );
}
