// The sign-in box: shown when the API answers 401 (the daemon has http.auth.tokens), it asks for a
// token, checks it against the API before keeping it, and shows why one was refused.

export class SignInBox {
  /**
   * @param {HTMLElement} root  the #signin element of index.html
   * @param {(token: string) => Promise<string | null>} signIn  resolves to an error message, or null when accepted
   * @param {() => void} onSignedIn
   */
  constructor(root, signIn, onSignedIn) {
    this.root = root;
    this.form = root.querySelector('form');
    this.input = root.querySelector('input');
    this.error = root.querySelector('.signin-error');
    this.button = root.querySelector('button');
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit(signIn, onSignedIn);
    });
  }

  get open() {
    return !this.root.hidden;
  }

  /** Shows the box (again); a message says why (a refused token), '' for none. Keeps a message already shown. */
  show(message) {
    if (message !== '' || !this.open) this.setError(message);
    if (this.open) return;
    this.root.hidden = false;
    this.input.value = '';
    this.input.focus();
  }

  /** @private */
  async submit(signIn, onSignedIn) {
    this.button.disabled = true;
    this.setError('');
    try {
      const error = await signIn(this.input.value);
      if (error !== null) {
        this.setError(error);
        this.input.select();
        return;
      }
      this.root.hidden = true;
      this.input.value = '';
      onSignedIn();
    } finally {
      this.button.disabled = false;
    }
  }

  /** @private */
  setError(message) {
    this.error.textContent = message;
    this.error.hidden = message === '';
  }
}
