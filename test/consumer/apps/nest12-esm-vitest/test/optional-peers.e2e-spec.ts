import { createTestingApp } from './create-testing-app.js';

// This app installs neither `consul` nor `@nestjs/terminus`: the main entry runs without them.
describe('without the optional peers installed', () => {
  it('the consul option fails the start, naming the package to install', async () => {
    await expect(createTestingApp({ consul: {} })).rejects.toThrow(
      /the "consul" option needs the `consul` package.*npm install consul/,
    );
  });
});
