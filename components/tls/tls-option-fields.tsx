/** The per-consumer HTTPS options (new-instance and Edit forms); the hidden marker says the options were on the form. */
export function TlsOptionFields({ values }: { values: { https: boolean; redirect: boolean; hsts: boolean } }) {
  return (
    <fieldset className="space-y-1 text-sm sm:col-span-2" aria-label="HTTPS options">
      <legend className="font-medium text-slate-700">HTTPS (when TLS is on in Settings)</legend>
      <input type="hidden" name="tlsOptions" value="1" />
      <label className="mr-4 inline-flex items-center gap-2"><input type="checkbox" name="tls.https" defaultChecked={values.https} /> HTTPS</label>
      <label className="mr-4 inline-flex items-center gap-2"><input type="checkbox" name="tls.redirect" defaultChecked={values.redirect} /> Redirect HTTP to HTTPS once the certificate is issued</label>
      <label className="inline-flex items-center gap-2"><input type="checkbox" name="tls.hsts" defaultChecked={values.hsts} /> HSTS</label>
    </fieldset>
  );
}
