/* JSON over Web Storage that never throws (private mode, full quota, storage disabled). */

// `backend` is localStorage, sessionStorage, or any object with getItem,
// setItem and removeItem (tests pass a Map-backed one); null works too and
// keeps nothing.
export const jsonStore = (backend) => ({
  get(key, fallback) {
    try {
      return JSON.parse(backend.getItem(key)) ?? fallback;
    } catch (error) {
      return fallback;
    }
  },
  // null, undefined and an empty list remove the key: nothing kept for nothing.
  set(key, value) {
    try {
      if (value == null || value.length === 0) backend.removeItem(key);
      else backend.setItem(key, JSON.stringify(value));
    } catch (error) {
      // Storage refused (quota, disabled): the page still works, it just forgets.
    }
  },
});

// The browser's storages, or null where the page may not use them.
export const webStorage = (name) => {
  try {
    return globalThis[name] || null;
  } catch (error) {
    return null;
  }
};
