// Every e2e hook and test may take up to a minute: an app with its own database clone starts in seconds on a quiet
// machine, and in far more when the two cores are shared (a 5 s default failed `beforeAll` under load).
jest.setTimeout(60_000);
