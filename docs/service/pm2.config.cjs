// pm2 ecosystem file for the validator: `pm2 start docs/service/pm2.config.cjs`, then `pm2 logs sn9-validator`.
// docs/service.md explains each choice.
module.exports = {
  apps: [
    {
      name: "sn9-validator",
      cwd: "/opt/sn9-deno",
      // The deno binary itself, not npx: a signal to npx does not reach the validator.
      script: "/usr/local/bin/deno",
      interpreter: "none",
      args:
        "task validate --network finney --netuid 9 --wallet.name validator --wallet.hotkey default --device cuda --health 9100",
      env: { NO_COLOR: "1" },
      // pm2 stops with SIGINT and kills after kill_timeout (1.6 s by default): give the validator time.
      kill_signal: "SIGINT",
      kill_timeout: 30000,
      autorestart: true,
      restart_delay: 30000,
    },
  ],
};
