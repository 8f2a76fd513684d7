/**
 * backendAuth.js -- sends `Authorization: Bearer <token>` on every call the TECHNO-ETL frontend makes to
 * its backend. Copy to src/services/backendAuth.js and import it FIRST in src/main.jsx (see README.md).
 *
 * The frontend calls through the global axios and about eight axios.create() instances, most of them
 * created while their modules are imported; so this module registers one request interceptor on the
 * global axios and wraps axios.create (and instance.create) so that every instance gets the same one.
 * It must be evaluated before any other module calls axios.create(): hence the first import.
 *
 * The token, in order:
 *   1. Firebase: auth.currentUser.getIdToken() (an OIDC ID token; Firebase caches and refreshes it);
 *   2. the backend's own login token, stored as a plain string under localStorage[BACKEND_TOKEN_KEY]
 *      (what POST /api/magento/integration/admin/token answers as a bare JSON string: magentoService.login
 *      must store `response.data`, not the axios response object).
 * The header is only added to calls whose URL is relative or whose origin is the page's or a known backend
 * origin, so that the ID token never leaves for a third party (Magento direct mode, CDNs, Google APIs).
 */
import axios from 'axios';
import { auth } from '../config/firebase';

export const BACKEND_TOKEN_KEY = 'adminToken';

const INSTALLED = Symbol.for('techno-etl.backendAuth.installed');

/** Origins the backend answers on: the page itself (Vite proxy) plus the configured and hard-coded ones. */
export function backendOrigins() {
  const origins = new Set(['http://localhost:5000', 'http://127.0.0.1:5000']);
  const env = (typeof import.meta !== 'undefined' && import.meta.env) || {};
  for (const value of [env.VITE_API_BASE_URL, env.VITE_BACKEND_URL]) {
    try {
      if (value) origins.add(new URL(value, window.location.origin).origin);
    } catch (e) { /* not a URL: ignored */ }
  }
  if (typeof window !== 'undefined') origins.add(window.location.origin);
  return origins;
}

/** True when config (url + baseURL as axios combines them) points at the backend. */
export function isBackendCall(config, origins = backendOrigins()) {
  const url = config.url || '';
  const base = config.baseURL || '';
  const full = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : base.replace(/\/+$/, '') + (url && !url.startsWith('/') ? '/' : '') + url;
  try {
    return origins.has(new URL(full || '/', window.location.origin).origin);
  } catch (e) {
    return false;
  }
}

/** A stored login token worth sending: a non-empty string that is not a stringified object. */
function storedLoginToken() {
  let value = null;
  try {
    value = window.localStorage.getItem(BACKEND_TOKEN_KEY);
  } catch (e) { /* storage disabled */ }
  if (!value || value === '[object Object]' || value === 'null' || value === 'undefined') return null;
  return value.replace(/^"(.*)"$/, '$1'); // tolerate a JSON-encoded string
}

/** The bearer token to send now, or null (the backend then answers 401). */
export async function currentBearerToken() {
  if (typeof auth.authStateReady === 'function') {
    await auth.authStateReady(); // Firebase restores the signed-in user asynchronously at start
  }
  const user = auth.currentUser;
  if (user) {
    try {
      return await user.getIdToken(); // cached; Firebase refreshes it shortly before it expires
    } catch (e) {
      console.warn('backendAuth: no Firebase ID token, falling back to the login token', e);
    }
  }
  return storedLoginToken();
}

async function addBearer(config) {
  if (!isBackendCall(config)) return config;
  const token = await currentBearerToken();
  if (token) {
    if (config.headers && typeof config.headers.set === 'function') {
      config.headers.set('Authorization', `Bearer ${token}`);
    } else {
      config.headers = { ...(config.headers || {}), Authorization: `Bearer ${token}` };
    }
  }
  return config;
}

function register(instance) {
  if (!instance || instance[INSTALLED]) return instance;
  instance[INSTALLED] = true;
  instance.interceptors.request.use(addBearer);
  if (typeof instance.create === 'function') {
    const create = instance.create;
    instance.create = function createWithBackendAuth(...args) {
      return register(create.apply(this, args));
    };
  }
  return instance;
}

/** Installs the interceptor on the global axios and on every instance created from now on (idempotent). */
export function installBackendAuth(target = axios) {
  return register(target);
}

installBackendAuth();
