// What a refused form gets back: the fields as they were typed (never a credential, see
// notices.ts) and, for a form that names itself, the refusal shown inside it rather than at
// the top of a page that holds several forms.
import { html, type Html } from './html.ts';
import type { FormInput, Notice } from './notices.ts';

/** The hidden field a form carries to get its refusal shown inside it. */
export const FORM_FIELD = '_form';

export const formName = (name: string): Html => html`<input type="hidden" name="${FORM_FIELD}" value="${name}">`;

/** The refusal of the form called `name`, as an alert inside it; nothing for any other form. */
export function formError(notice: Notice | undefined, name: string): Html | '' {
  return notice?.kind === 'error' && notice.form?.[FORM_FIELD] === name ? html`<p class="notice error" role="alert">${notice.text}</p>` : '';
}

/** The notice for the page's top: none when a named form shows it. */
export const pageNotice = (notice: Notice | undefined): Notice | undefined => (notice?.form?.[FORM_FIELD] !== undefined ? undefined : notice);

/** A refused form's field as it was typed, for its `value`; `fallback` when the form was not refused. */
export const typed = (input: FormInput | undefined, k: string, fallback = ''): string => (typeof input?.[k] === 'string' ? (input[k] as string) : fallback);

/** ` selected` for the option the refused form had chosen; without input, for `preferred`. */
export function chosen(input: FormInput | undefined, k: string, value: string, preferred?: string): Html | '' {
  const picked = typeof input?.[k] === 'string' ? input[k] : preferred;
  return picked === value ? html` selected` : '';
}
